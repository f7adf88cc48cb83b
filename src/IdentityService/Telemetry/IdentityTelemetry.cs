using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ferry.IdentityService.Matching;

namespace Ferry.IdentityService.Telemetry;

/// <summary>The service's one ActivitySource and Meter ("Ferry.IdentityService"). Tags carry ids, never addresses.</summary>
public sealed class IdentityTelemetry
{
    public const string Name = "Ferry.IdentityService";

    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _matches;
    private readonly Counter<long> _creations;
    private readonly Counter<long> _conflicts;
    private readonly Histogram<int> _zendeskCalls;
    private readonly Counter<long> _agents;

    public IdentityTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        _matches = meter.CreateCounter<long>("ferry.identity.requester.matches", description: "Requester resolves by match method.");
        _creations = meter.CreateCounter<long>("ferry.identity.requester.creations", description: "Zendesk users created.");
        _conflicts = meter.CreateCounter<long>("ferry.identity.requester.conflicts", description: "Email/external_id conflicts recorded.");
        _zendeskCalls = meter.CreateHistogram<int>("ferry.identity.requester.zendesk_calls", unit: "{call}", description: "Zendesk HTTP requests per requester resolve.");
        _agents = meter.CreateCounter<long>("ferry.identity.agent.resolves", description: "Agent resolves by outcome.");
    }

    public static Activity? StartResolve(string contactId)
    {
        var activity = Source.StartActivity("identity.resolve_requester");
        activity?.SetTag("ferry.intercom_contact_id", contactId);
        return activity;
    }

    public void RecordResolve(Activity? activity, ResolvedRequester result)
    {
        var method = MethodName(result.Method);
        _matches.Add(1, new KeyValuePair<string, object?>("method", method));
        _zendeskCalls.Record(result.ZendeskCalls, new KeyValuePair<string, object?>("method", method));
        if (result.Method == MatchMethod.Created)
        {
            _creations.Add(1);
        }

        activity?.SetTag("ferry.match_method", method);
        activity?.SetTag("ferry.zendesk_user_id", result.ZendeskUserId);
        activity?.SetTag("ferry.zendesk_calls", result.ZendeskCalls);
        activity?.SetTag("ferry.conflict", result.Conflict is not null);
    }

    public void RecordConflict(LinkConflict conflict) =>
        _conflicts.Add(1, new KeyValuePair<string, object?>("kind", LinkConflict.KindName(conflict.Kind)));

    public void RecordAgent(string outcome) => _agents.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static string MethodName(MatchMethod method) => method switch
    {
        MatchMethod.ExistingLink => "existing_link",
        MatchMethod.PrimaryEmail => "primary_email",
        MatchMethod.SecondaryEmail => "secondary_email",
        MatchMethod.ExternalId => "external_id",
        MatchMethod.Created => "created",
        _ => "override",
    };

    public static MatchMethod ParseMethod(string name) => name switch
    {
        "primary_email" => MatchMethod.PrimaryEmail,
        "secondary_email" => MatchMethod.SecondaryEmail,
        "external_id" => MatchMethod.ExternalId,
        "created" => MatchMethod.Created,
        "override" => MatchMethod.Override,
        _ => MatchMethod.ExistingLink,
    };
}
