using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Ferry.Sandbox.Contracts;

/// <summary>
/// A vendor's OpenAPI 3.0 description turned into JSON Schema (2020-12) and compiled with a real validator
/// (JsonSchema.Net). Conversion: <c>nullable</c> → a "null" type; boolean exclusiveMinimum/Maximum → numeric;
/// examples and x- extensions dropped; refs made absolute. Only two repairs, both documented defects of the
/// Intercom file (APIS.md): a <c>null</c> already listed in an enum is not added twice, and <c>nullable</c>
/// on a schema without <c>type</c> is dropped (OpenAPI 3.0: no effect). Any schema that still does not
/// compile makes <see cref="CompileAll"/> report it: nothing is skipped silently.
/// </summary>
public sealed class OpenApiContract
{
    // Lazy: GetOrAdd may run its factory on several threads at once; the contract and each schema are built once.
    private static readonly ConcurrentDictionary<string, Lazy<OpenApiContract>> Loaded = new();
    private readonly JsonObject _document;
    private readonly JsonObject _paths;
    private readonly BuildOptions _build;
    private readonly ConcurrentDictionary<string, Lazy<JsonSchema?>> _compiled = new();
    private readonly Lock _registryGate = new(); // SchemaRegistry is not documented as thread-safe: one build at a time

    public OpenApiContract(string vendor, JsonObject document, bool applyDocumentedFixes = true)
    {
        Vendor = vendor;
        _document = document;
        _paths = document["paths"] as JsonObject ?? throw new InvalidOperationException($"{vendor}: the OpenAPI document has no paths.");
        BaseUri = new Uri($"https://contracts.ferry.invalid/{vendor}");
        ApplyDocumentedFixes = applyDocumentedFixes;

        var schemas = document["components"]?["schemas"] as JsonObject ?? [];
        var defs = new JsonObject();
        foreach (var (name, schema) in schemas)
        {
            defs[name] = Convert(schema);
        }

        Definitions = defs;
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = BaseUri.ToString(),
            ["$defs"] = defs.DeepClone(),
        };
        _build = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        _build.SchemaRegistry.Register(JsonSchema.Build(JsonSerializer.SerializeToElement(root), _build, BaseUri));
    }

    public string Vendor { get; }

    public Uri BaseUri { get; }

    public bool ApplyDocumentedFixes { get; }

    /// <summary>components.schemas after conversion.</summary>
    public JsonObject Definitions { get; }

    /// <summary>The contract bundled with the sandbox: "intercom" (2.16) or "zendesk".</summary>
    public static OpenApiContract ForVendor(string vendor) => Loaded.GetOrAdd(vendor, v => new Lazy<OpenApiContract>(() => Load(v))).Value;

    private static OpenApiContract Load(string vendor)
    {
        var file = vendor switch
        {
            "intercom" => "intercom-2.16.yaml",
            "zendesk" => "zendesk-support.yaml",
            _ => throw new ArgumentException($"Unknown vendor {vendor}.", nameof(vendor)),
        };
        using var stream = typeof(OpenApiContract).Assembly.GetManifestResourceStream($"Ferry.Sandbox.Contracts.OpenApi.{file}")
            ?? throw new InvalidOperationException($"Embedded OpenAPI file {file} is missing.");
        using var reader = new StreamReader(stream);
        return new OpenApiContract(vendor, (JsonObject)YamlJson.Load(reader)!);
    }

    /// <summary>Compiles every converted schema strictly; returns one line per schema that does not compile.</summary>
    public IReadOnlyList<string> CompileAll()
    {
        var problems = new List<string>();
        foreach (var (name, schema) in Definitions)
        {
            var strict = StrictProblems(schema!, $"#/components/schemas/{name}");
            problems.AddRange(strict);
            try
            {
                var wrapped = new JsonObject { ["$schema"] = "https://json-schema.org/draft/2020-12/schema", ["$ref"] = $"{BaseUri}#/$defs/{name}" };
                JsonSchema.Build(JsonSerializer.SerializeToElement(wrapped), _build, new Uri($"{BaseUri}/check/{Guid.NewGuid():N}"));
            }
            catch (Exception e) when (e is JsonSchemaException or RefResolutionException or JsonException or ArgumentException or InvalidOperationException)
            {
                problems.Add($"#/components/schemas/{name}: {e.Message}");
            }
        }

        return problems;
    }

    /// <summary>The JSON request-body schema of an operation, or null when the operation declares none. Compiled once per path template.</summary>
    public JsonSchema? RequestSchema(string method, string path) =>
        Schema($"req {method} {Template(method, path) ?? path}", () => Operation(method, path)?["requestBody"]?["content"]?["application/json"]?["schema"]);

    /// <summary>The JSON response schema for a status, or null when the operation declares none.</summary>
    public JsonSchema? ResponseSchema(string method, string path, int status) =>
        Schema($"res {method} {Template(method, path) ?? path} {status}", () =>
        {
            var responses = Operation(method, path)?["responses"];
            var response = responses?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? responses?["default"];
            if (response?["$ref"]?.GetValue<string>() is { } reference)
            {
                response = Resolve(reference);
            }

            return response?["content"]?["application/json"]?["schema"];
        });

    /// <summary>Whether the document has this operation (path template or a concrete path that matches one).</summary>
    public string? Template(string method, string path)
    {
        method = method.ToLowerInvariant();
        if (_paths[path]?[method] is not null)
        {
            return path;
        }

        var segments = path.Trim('/').Split('/');
        foreach (var (template, item) in _paths)
        {
            var t = template.Trim('/').Split('/');
            if (t.Length == segments.Length && item?[method] is not null
                && t.Zip(segments).All(p => p.First == p.Second || (p.First.StartsWith('{') && p.First.EndsWith('}'))))
            {
                return template;
            }
        }

        return null;
    }

    public static IReadOnlyList<string> Errors(EvaluationResults results)
    {
        var errors = new List<string>();
        void Walk(EvaluationResults node)
        {
            foreach (var (keyword, message) in node.Errors ?? new Dictionary<string, string>())
            {
                errors.Add($"{node.InstanceLocation}: {keyword}: {message}");
            }

            foreach (var child in node.Details ?? [])
            {
                Walk(child);
            }
        }

        Walk(results);
        return errors.Count > 0 || results.IsValid ? errors : ["invalid (no detail)"];
    }

    public static EvaluationResults Evaluate(JsonSchema schema, JsonElement instance) =>
        schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private JsonNode? Operation(string method, string path) =>
        Template(method, path) is { } template ? _paths[template]?[method.ToLowerInvariant()] : null;

    private JsonNode? Resolve(string reference)
    {
        JsonNode? node = _document;
        foreach (var part in reference.TrimStart('#', '/').Split('/'))
        {
            node = node?[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        }

        return node;
    }

    // Two concurrent builds of one schema would register its $id twice ("Overwriting registered schemas is not permitted").
    private JsonSchema? Schema(string key, Func<JsonNode?> find) => _compiled.GetOrAdd(key, k => new Lazy<JsonSchema?>(() => Build(k, find))).Value;

    private JsonSchema? Build(string key, Func<JsonNode?> find)
    {
        if (find() is not { } openApiSchema)
        {
            return null;
        }

        var converted = Convert(openApiSchema)!.AsObject();
        converted["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        var id = new Uri($"{BaseUri}/operation/{System.Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16]}");
        converted["$id"] = id.ToString();
        lock (_registryGate)
        {
            return JsonSchema.Build(JsonSerializer.SerializeToElement(converted), _build, id);
        }
    }

    private JsonNode? Convert(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray array:
                return new JsonArray([.. array.Select(Convert)]);
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (key is "example" or "examples" or "discriminator" or "xml" or "externalDocs" or "nullable" || key.StartsWith("x-", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (key == "$ref" && value is JsonValue v && v.GetValue<string>().StartsWith("#/components/schemas/", StringComparison.Ordinal))
                    {
                        result[key] = $"{BaseUri}#/$defs/{v.GetValue<string>()["#/components/schemas/".Length..]}";
                        continue;
                    }

                    // Map-valued keywords: their keys are names, not keywords.
                    if (key is "properties" or "patternProperties" or "$defs" && value is JsonObject map)
                    {
                        result[key] = new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, Convert(p.Value))));
                        continue;
                    }

                    result[key] = Convert(value);
                }

                ConvertNumericBounds(result, "exclusiveMinimum", "minimum");
                ConvertNumericBounds(result, "exclusiveMaximum", "maximum");
                if (obj["nullable"] is JsonValue n && n.GetValueKind() == JsonValueKind.True)
                {
                    MakeNullable(result);
                }

                return result;
            default:
                return node?.DeepClone();
        }
    }

    private void MakeNullable(JsonObject schema)
    {
        if (schema["type"] is JsonValue type)
        {
            schema["type"] = new JsonArray(type.GetValue<string>(), "null");
        }
        else if (!ApplyDocumentedFixes)
        {
            // What a naive converter does: a type-less "null" alternative next to oneOf/allOf/$ref.
            schema["type"] = new JsonArray("null");
        }

        if (schema["enum"] is JsonArray values)
        {
            var hasNull = values.Any(v => v is null);
            if (!hasNull || !ApplyDocumentedFixes)
            {
                values.Add(null);
            }
        }
    }

    private static void ConvertNumericBounds(JsonObject schema, string exclusive, string inclusive)
    {
        if (schema[exclusive] is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            schema.Remove(exclusive);
            if (flag.GetValueKind() == JsonValueKind.True && schema[inclusive] is { } bound)
            {
                schema[exclusive] = bound.DeepClone();
                schema.Remove(inclusive);
            }
        }
    }

    /// <summary>Checks a strict compiler (ajv) makes and JsonSchema.Net does not: unique enum items, valid types, type/enum agreement.</summary>
    public static IEnumerable<string> StrictProblems(JsonNode schema, string location)
    {
        if (schema is JsonArray array)
        {
            foreach (var (item, i) in array.Select((x, i) => (x, i)))
            {
                foreach (var p in item is null ? [] : StrictProblems(item, $"{location}/{i}"))
                {
                    yield return p;
                }
            }

            yield break;
        }

        if (schema is not JsonObject obj)
        {
            yield break;
        }

        if (obj["enum"] is JsonArray values)
        {
            var texts = values.Select(v => v?.ToJsonString() ?? "null").ToList();
            if (texts.Distinct().Count() != texts.Count)
            {
                yield return $"{location}: enum items must be unique ({string.Join(", ", texts)})";
            }

            var types = obj["type"] switch
            {
                JsonValue t => [t.GetValue<string>()],
                JsonArray ts => ts.Select(t => t!.GetValue<string>()).ToList(),
                _ => null,
            };
            if (types is not null && values.Any(v => !types.Contains(KindName(v))))
            {
                yield return $"{location}: enum has values outside type [{string.Join(", ", types)}]";
            }
        }

        if (obj["type"] is JsonArray typeList && typeList.Count == 1 && typeList[0]?.GetValue<string>() == "null"
            && (obj.ContainsKey("oneOf") || obj.ContainsKey("allOf") || obj.ContainsKey("anyOf") || obj.ContainsKey("$ref")))
        {
            yield return $"{location}: type [null] beside a composition makes the schema reject everything";
        }

        foreach (var (key, value) in obj)
        {
            if (key is "enum" or "const" or "default" || value is null)
            {
                continue;
            }

            var children = key is "properties" or "patternProperties" or "$defs" && value is JsonObject map
                ? map.Select(p => (p.Value, $"{location}/{key}/{p.Key}"))
                : [(value, $"{location}/{key}")];
            foreach (var (child, path) in children)
            {
                foreach (var p in child is null ? [] : StrictProblems(child, path))
                {
                    yield return p;
                }
            }
        }
    }

    private static string KindName(JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => value.ToJsonString().Contains('.', StringComparison.Ordinal) ? "number" : "integer",
        JsonValueKind.Array => "array",
        _ => "object",
    };
}
