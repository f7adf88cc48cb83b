using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ferry.Sandbox.Common;
using Ferry.Sandbox.Extensions;

namespace Ferry.Sandbox.Zendesk;

/// <summary>Outcome of a state operation: a value, or the vendor's error answer.</summary>
public readonly record struct Outcome<T>(T? Value, IResult? Error)
{
#pragma warning disable CA1000 // Outcome<T>.Fail(...) reads better than a helper class.
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static Outcome<T> Fail(IResult error) => new(default, error);
#pragma warning restore CA1000
}

/// <summary>The emulated Zendesk account: users, tickets, uploads, jobs. Thread-safe (one lock).</summary>
public sealed partial class ZendeskState(SandboxClock clock, SandboxOptions options)
{
    public static readonly string[] Statuses = ["new", "open", "pending", "hold", "solved", "closed"];

    private readonly Lock _gate = new();
    private readonly Dictionary<long, ZdUser> _users = [];
    private readonly Dictionary<long, ZdTicket> _tickets = [];
    private readonly Dictionary<long, ZdTicket> _deletedTickets = [];
    private readonly Dictionary<string, ZdUpload> _uploads = [];
    private readonly Dictionary<long, ZdAttachment> _attachments = [];
    private readonly Dictionary<string, ZdJobStatus> _jobs = [];
    private readonly Dictionary<string, Func<List<Dictionary<string, object?>>>> _queuedWork = [];
    private readonly Dictionary<string, (string BodyHash, int Status, string Json, DateTimeOffset Expires)> _idempotency = [];
    private readonly List<ZdGroup> _groups = [new(360001, "Support"), new(360002, "Billing")];
    private readonly List<ZdTicketField> _fields =
    [
        new(360100, "subject", "Subject"),
        new(360101, "description", "Description"),
        new(360102, "status", "Status"),
        new(360103, "priority", "Priority", ["low", "normal", "high", "urgent"]),
        new(360200, "text", "Intercom conversation id"),
        new(360201, "tagger", "Intercom priority", ["none", "low", "medium", "high", "urgent"]),
    ];

    private long _nextUser = 1000;
    private long _nextIdentity = 2000;
    private long _nextTicket;
    private long _nextComment = 5000;
    private long _nextAttachment = 9000;

    public Lock Gate => _gate;

    /// <summary>Raised under <see cref="Gate"/> right after a comment joined a ticket: benchmarks time a ticket's completion by it.</summary>
    public event Action<ZdTicket>? CommentAdded;

    // ---- snapshots for tests, the admin API and the page ----

    public IReadOnlyList<ZdUser> Users() { lock (_gate) { return [.. _users.Values.OrderBy(u => u.Id)]; } }

    public IReadOnlyList<ZdTicket> Tickets() { lock (_gate) { return [.. _tickets.Values.OrderBy(t => t.Id)]; } }

    public IReadOnlyList<ZdUpload> Uploads() { lock (_gate) { return [.. _uploads.Values]; } }

    public IReadOnlyList<ZdGroup> Groups() { lock (_gate) { return [.. _groups]; } }

    public IReadOnlyList<ZdTicketField> TicketFields() { lock (_gate) { return [.. _fields]; } }

    public ZdUser? User(long id) { lock (_gate) { return _users.GetValueOrDefault(id); } }

    public ZdTicket? Ticket(long id) { lock (_gate) { return _tickets.GetValueOrDefault(id); } }

    public ZdAttachment? Attachment(long id) { lock (_gate) { return _attachments.GetValueOrDefault(id); } }

    public ZdAttachment? AttachmentByToken(string token)
    {
        lock (_gate)
        {
            return _attachments.Values.FirstOrDefault(a => a.DownloadToken == token);
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            // The account's own API user outlives a reset of its data, as the account does (Ferry keeps its id).
            var apiUser = _users.Values.FirstOrDefault(IsApiUser);
            _users.Clear();
            if (apiUser is not null)
            {
                _users[apiUser.Id] = apiUser;
            }

            _tickets.Clear();
            _uploads.Clear();
            _attachments.Clear();
            _jobs.Clear();
            _queuedWork.Clear();
            _idempotency.Clear();
        }
    }

    // ---- users ----

    /// <summary>Adds a user directly (seeding): agents, admins, end users.</summary>
    public ZdUser AddUser(string name, string? email, string role = "end-user", string? externalId = null, IEnumerable<string>? secondaryEmails = null)
    {
        lock (_gate)
        {
            var user = NewUser(name, role, externalId);
            if (email is not null)
            {
                AddIdentity(user, email, primary: true);
            }

            foreach (var extra in secondaryEmails ?? [])
            {
                AddIdentity(user, extra, primary: false);
            }

            return user;
        }
    }

    /// <summary>
    /// The user the API credentials belong to (<c>GET /api/v2/users/me</c>, and the author of a comment a ticket update
    /// sends without <c>author_id</c>): an admin with the account's API email, made on first use.
    /// </summary>
    public ZdUser ApiUser()
    {
        lock (_gate)
        {
            return _users.Values.FirstOrDefault(IsApiUser) ?? AddUser("Ferry API user", ApiEmail, "admin");
        }
    }

    private string ApiEmail => options.Zendesk.Email.Length > 0 ? options.Zendesk.Email : "api-user@sandbox.invalid";

    private bool IsApiUser(ZdUser user) => user.Active && user.Role != "end-user" && user.HasEmail(ApiEmail);

    public Outcome<(ZdUser User, bool Created)> CreateOrUpdateUser(JsonObject input, bool createOnly = false)
    {
        var email = input.Str("email")?.Trim();
        var externalId = input.Str("external_id");
        var name = input.Str("name");
        var role = input.Str("role");
        if (role is not null and not ("end-user" or "agent" or "admin"))
        {
            return Outcome<(ZdUser, bool)>.Fail(VendorErrors.ZendeskInvalid("role", $"Role: {role} is not a valid role"));
        }

        if (email is not null && !LooksLikeEmail(email))
        {
            return Outcome<(ZdUser, bool)>.Fail(VendorErrors.ZendeskInvalid("email", $"Email: {email} is not properly formatted"));
        }

        var extraEmails = new List<string>();
        if (input["identities"] is JsonArray identities)
        {
            foreach (var node in identities.OfType<JsonObject>())
            {
                if (node.Str("type") == "email" && node.Str("value") is { } value)
                {
                    if (!LooksLikeEmail(value))
                    {
                        return Outcome<(ZdUser, bool)>.Fail(VendorErrors.ZendeskInvalid("email", $"Email: {value} is not properly formatted"));
                    }

                    extraEmails.Add(value);
                }
            }
        }

        lock (_gate)
        {
            var match = createOnly ? null
                : (email is null ? null : _users.Values.FirstOrDefault(u => u.Active && u.HasEmail(email)))
                  ?? (externalId is null ? null : _users.Values.FirstOrDefault(u => u.Active && u.ExternalId == externalId));
            foreach (var candidate in extraEmails.Append(email).OfType<string>())
            {
                var owner = _users.Values.FirstOrDefault(u => u.Active && u.HasEmail(candidate));
                if (owner is not null && owner != match)
                {
                    return Outcome<(ZdUser, bool)>.Fail(VendorErrors.ZendeskInvalid("email", $"Email: {candidate} is already being used by another user"));
                }
            }

            if (match is null)
            {
                if (string.IsNullOrWhiteSpace(name))
                {
                    return Outcome<(ZdUser, bool)>.Fail(VendorErrors.ZendeskInvalid("name", "Name: cannot be blank"));
                }

                var user = NewUser(name, role ?? "end-user", externalId);
                user.Phone = input.Str("phone");
                if (email is not null)
                {
                    AddIdentity(user, email, primary: true);
                }

                foreach (var extra in extraEmails.Where(e => !user.HasEmail(e)))
                {
                    AddIdentity(user, extra, primary: user.Email is null);
                }

                return (user, true);
            }

            if (!string.IsNullOrWhiteSpace(name))
            {
                match.Name = name;
            }

            match.ExternalId = externalId ?? match.ExternalId;
            match.Role = role ?? match.Role;
            match.Phone = input.Str("phone") ?? match.Phone;
            foreach (var extra in extraEmails.Append(email).OfType<string>().Where(e => !match.HasEmail(e)))
            {
                AddIdentity(match, extra, primary: match.Email is null);
            }

            match.UpdatedAt = clock.GetUtcNow();
            return (match, false);
        }
    }

    /// <summary>
    /// Zendesk search syntax subset: <c>email:x</c>, <c>external_id:x</c>, <c>role:agent</c>, or free text (name or email).
    /// Like Zendesk's full-text search (the OpenAPI: "a partial or full value of any user property"), email and
    /// free-text values match partially and <c>*</c> is a wildcard; a double-quoted value is literal (no wildcard,
    /// spaces kept) but still partial. Hits are therefore a superset of the exact owners, as in Zendesk.
    /// </summary>
    public IReadOnlyList<ZdUser> SearchUsers(string? query, string? externalId)
    {
        lock (_gate)
        {
            IEnumerable<ZdUser> users = _users.Values.Where(u => u.Active);
            if (externalId is not null)
            {
                users = users.Where(u => u.ExternalId == externalId);
            }

            foreach (var (key, value, quoted) in SearchTerms(query ?? ""))
            {
                var matches = SearchValue(value, quoted);
                users = key switch
                {
                    "email" => users.Where(u => u.Identities.Any(i => i.Type == "email" && matches(i.Value))),
                    "external_id" => users.Where(u => u.ExternalId == value),
                    "role" => users.Where(u => string.Equals(u.Role, value, StringComparison.OrdinalIgnoreCase)),
                    "type" => users,
                    _ => users.Where(u => matches(u.Name) || u.Identities.Any(i => matches(i.Value))),
                };
            }

            return [.. users.OrderBy(u => u.Id)];
        }
    }

    private static IEnumerable<(string Key, string Value, bool Quoted)> SearchTerms(string query) =>
        SearchTerm().Matches(query).Select(m => (m.Groups["key"].Value.ToLowerInvariant(),
            m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["bare"].Value, m.Groups["quoted"].Success));

    private static Func<string, bool> SearchValue(string value, bool quoted)
    {
        if (quoted || !value.Contains('*', StringComparison.Ordinal))
        {
            return text => text.Contains(value, StringComparison.OrdinalIgnoreCase);
        }

        var pattern = new Regex(Regex.Escape(value).Replace("\\*", ".*", StringComparison.Ordinal),
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return pattern.IsMatch;
    }

    /// <summary>A term: <c>key:value</c>, <c>key:"a value"</c> or free text, separated by spaces outside quotes.</summary>
    [GeneratedRegex(@"(?:(?<key>[A-Za-z_]+):)?(?:""(?<quoted>[^""]*)""?|(?<bare>\S+))")]
    private static partial Regex SearchTerm();

    public IReadOnlyList<ZdUser> ListUsers(IReadOnlyCollection<string> roles)
    {
        lock (_gate)
        {
            return [.. _users.Values.Where(u => u.Active && (roles.Count == 0 || roles.Contains(u.Role))).OrderBy(u => u.Id)];
        }
    }

    public Outcome<ZdIdentity> AddIdentity(long userId, string type, string value)
    {
        if (type != "email")
        {
            return Outcome<ZdIdentity>.Fail(VendorErrors.ZendeskInvalid("type", $"Type: {type} is not supported by the sandbox (email only)"));
        }

        if (!LooksLikeEmail(value))
        {
            return Outcome<ZdIdentity>.Fail(VendorErrors.ZendeskInvalid("value", $"Value: {value} is not properly formatted"));
        }

        lock (_gate)
        {
            if (!_users.TryGetValue(userId, out var user) || !user.Active)
            {
                return Outcome<ZdIdentity>.Fail(VendorErrors.ZendeskNotFound());
            }

            if (_users.Values.Any(u => u.Active && u.HasEmail(value)))
            {
                return Outcome<ZdIdentity>.Fail(VendorErrors.ZendeskInvalid("value", $"Value: {value} is already being used by another user"));
            }

            user.UpdatedAt = clock.GetUtcNow();
            return AddIdentity(user, value, primary: user.Email is null);
        }
    }

    public bool DeleteUser(long id)
    {
        lock (_gate)
        {
            if (!_users.TryGetValue(id, out var user) || !user.Active)
            {
                return false;
            }

            user.Active = false;
            user.UpdatedAt = clock.GetUtcNow();
            return true;
        }
    }

    private ZdUser NewUser(string name, string role, string? externalId)
    {
        var now = clock.GetUtcNow();
        var user = new ZdUser { Id = ++_nextUser, Name = name, Role = role, ExternalId = externalId, CreatedAt = now, UpdatedAt = now };
        _users[user.Id] = user;
        return user;
    }

    private ZdIdentity AddIdentity(ZdUser user, string email, bool primary)
    {
        var identity = new ZdIdentity { Id = ++_nextIdentity, UserId = user.Id, Value = email, Primary = primary, CreatedAt = clock.GetUtcNow() };
        user.Identities.Add(identity);
        return identity;
    }

    private static bool LooksLikeEmail(string value) =>
        value.Length <= 254 && System.Text.RegularExpressions.Regex.IsMatch(value, @"^[^@\s]+@[^@\s]+\.[^@\s]+$");

    // ---- tickets ----

    /// <summary>POST /api/v2/imports/tickets: keeps historical authors and timestamps.</summary>
    public Outcome<ZdTicket> ImportTicket(JsonObject input, bool archiveImmediately)
    {
        lock (_gate)
        {
            var check = ValidateTicketBasics(input, out var requesterId);
            if (check is not null)
            {
                return Outcome<ZdTicket>.Fail(check);
            }

            var status = input.Str("status") ?? "new";
            var comments = input["comments"] as JsonArray ?? [];
            var prepared = new List<(JsonObject Node, long Author, DateTimeOffset At)>();
            foreach (var node in comments)
            {
                if (node is not JsonObject comment)
                {
                    return Outcome<ZdTicket>.Fail(VendorErrors.ZendeskBadRequest("Each entry of ticket.comments must be an object."));
                }

                var author = comment.Number("author_id") ?? requesterId;
                if (!_users.ContainsKey(author))
                {
                    return Outcome<ZdTicket>.Fail(VendorErrors.ZendeskInvalid("author_id", $"Author: user {author} does not exist"));
                }

                var error = ValidateCommentBody(comment) ?? ValidateUploads(comment);
                if (error is not null)
                {
                    return Outcome<ZdTicket>.Fail(error);
                }

                prepared.Add((comment, author, ParseTime(comment.Str("created_at")) ?? clock.GetUtcNow()));
            }

            var now = clock.GetUtcNow();
            var createdAt = ParseTime(input.Str("created_at")) ?? (prepared.Count > 0 ? prepared.Min(c => c.At) : now);
            var ticket = NewTicket(input, requesterId, status, createdAt, "import", null);

            foreach (var (node, author, at) in prepared)
            {
                AddComment(ticket, node, author, at);
            }

            ticket.SolvedAt = ParseTime(input.Str("solved_at")) ?? (status is "solved" or "closed" ? now : null);
            ticket.Archived = archiveImmediately && status == "closed";
            ticket.UpdatedAt = now;
            _tickets[ticket.Id] = ticket;
            return ticket;
        }
    }

    /// <summary>POST /api/v2/tickets: one opening comment, timestamped now; follow-ups via via_followup_source_id.</summary>
    public Outcome<ZdTicket> CreateTicket(JsonObject input)
    {
        lock (_gate)
        {
            var check = ValidateTicketBasics(input, out var requesterId);
            if (check is not null)
            {
                return Outcome<ZdTicket>.Fail(check);
            }

            if (input["comment"] is not JsonObject comment)
            {
                return Outcome<ZdTicket>.Fail(VendorErrors.ZendeskInvalid("description", "Description: cannot be blank"));
            }

            var error = ValidateCommentBody(comment) ?? ValidateUploads(comment);
            var author = comment.Number("author_id") ?? requesterId;
            if (error is null && !_users.ContainsKey(author))
            {
                error = VendorErrors.ZendeskInvalid("author_id", $"Author: user {author} does not exist");
            }

            var followupSource = input.Number("via_followup_source_id");
            ZdTicket? source = null;
            if (error is null && followupSource is { } sourceId)
            {
                source = _tickets.GetValueOrDefault(sourceId);
                if (source is null || source.Status != "closed")
                {
                    error = VendorErrors.ZendeskInvalid("via_followup_source_id", $"Via followup source: ticket {sourceId} is not a closed ticket");
                }
            }

            if (error is not null)
            {
                return Outcome<ZdTicket>.Fail(error);
            }

            var now = clock.GetUtcNow();
            var ticket = NewTicket(input, requesterId, input.Str("status") ?? "new", now, "api", followupSource);
            AddComment(ticket, comment, author, now);
            source?.FollowupIds.Add(ticket.Id);
            ticket.SolvedAt = ticket.Status is "solved" or "closed" ? now : null;
            _tickets[ticket.Id] = ticket;
            return ticket;
        }
    }

    /// <summary>PUT /api/v2/tickets/{id}: at most one new comment, timestamped now. Closed tickets are final.</summary>
    public Outcome<(ZdTicket Ticket, string? OldStatus)> UpdateTicket(long id, JsonObject input)
    {
        lock (_gate)
        {
            if (!_tickets.TryGetValue(id, out var ticket))
            {
                return Outcome<(ZdTicket, string?)>.Fail(VendorErrors.ZendeskNotFound());
            }

            if (ticket.Status == "closed")
            {
                return Outcome<(ZdTicket, string?)>.Fail(VendorErrors.ZendeskInvalid("status", "Status: closed prevents ticket update"));
            }

            var status = input.Str("status");
            if (status is not null && !Statuses.Contains(status))
            {
                return Outcome<(ZdTicket, string?)>.Fail(VendorErrors.ZendeskInvalid("status", $"Status: {status} is not a valid status"));
            }

            if (status == "new" && ticket.Status != "new")
            {
                return Outcome<(ZdTicket, string?)>.Fail(VendorErrors.ZendeskInvalid("status", "Status: cannot be set back to new"));
            }

            var assignee = input.Number("assignee_id");
            if (assignee is { } a && (!_users.TryGetValue(a, out var agent) || agent.Role == "end-user"))
            {
                return Outcome<(ZdTicket, string?)>.Fail(VendorErrors.ZendeskInvalid("assignee_id", $"Assignee: {a} is not an agent"));
            }

            var comment = input["comment"] as JsonObject;
            long? author = null;
            if (comment is not null)
            {
                var error = ValidateCommentBody(comment) ?? ValidateUploads(comment);
                author = comment.Number("author_id") ?? ApiUser().Id;
                if (error is null && !_users.ContainsKey(author.Value))
                {
                    error = VendorErrors.ZendeskInvalid("author_id", $"Author: user {author} does not exist");
                }

                if (error is not null)
                {
                    return Outcome<(ZdTicket, string?)>.Fail(error);
                }
            }

            var now = clock.GetUtcNow();
            var oldStatus = ticket.Status;
            ApplyCommonFields(ticket, input);
            if (assignee is not null)
            {
                ticket.AssigneeId = assignee;
            }
            else if (input.ContainsKey("assignee_id"))
            {
                ticket.AssigneeId = null;
            }

            if (comment is not null)
            {
                AddComment(ticket, comment, author!.Value, now);
                if (status is null && ticket.Status == "new")
                {
                    ticket.Status = "open";
                }
            }

            if (status is not null)
            {
                ticket.Status = status;
                ticket.SolvedAt = status is "solved" or "closed" ? now : ticket.SolvedAt;
            }

            ticket.UpdatedAt = now;
            return (ticket, oldStatus == ticket.Status ? null : oldStatus);
        }
    }

    public IReadOnlyList<ZdTicket> TicketsByExternalId(string externalId)
    {
        lock (_gate)
        {
            return [.. _tickets.Values.Where(t => t.ExternalId == externalId).OrderBy(t => t.Id)];
        }
    }

    /// <summary>
    /// Soft delete, as Zendesk does: the ticket leaves every read, lookup and update (404) and waits in
    /// deleted_tickets until it is restored.
    /// </summary>
    public bool DeleteTicket(long id) => MoveTicket(id, _tickets, _deletedTickets);

    public bool RestoreTicket(long id) => MoveTicket(id, _deletedTickets, _tickets);

    private bool MoveTicket(long id, Dictionary<long, ZdTicket> from, Dictionary<long, ZdTicket> to)
    {
        lock (_gate)
        {
            if (!from.Remove(id, out var ticket))
            {
                return false;
            }

            to[id] = ticket;
            return true;
        }
    }

    /// <summary>Seeding/admin: sets a status directly (e.g. close a ticket).</summary>
    public ZdTicket? ForceStatus(long id, string status)
    {
        lock (_gate)
        {
            if (!_tickets.TryGetValue(id, out var ticket))
            {
                return null;
            }

            ticket.Status = status;
            ticket.UpdatedAt = clock.GetUtcNow();
            return ticket;
        }
    }

    private IResult? ValidateTicketBasics(JsonObject input, out long requesterId)
    {
        requesterId = 0;
        var requester = input.Number("requester_id");
        if (requester is null && input["requester"] is JsonObject requesterObject)
        {
            var created = CreateOrUpdateUser(requesterObject);
            if (created.Error is not null)
            {
                return created.Error;
            }

            requester = created.Value.User.Id;
        }

        if (requester is null)
        {
            return VendorErrors.ZendeskInvalid("requester", "Requester: cannot be blank (requester_id or requester is required)");
        }

        if (!_users.TryGetValue(requester.Value, out var user) || !user.Active)
        {
            return VendorErrors.ZendeskInvalid("requester", $"Requester: user {requester} does not exist or is deleted");
        }

        requesterId = requester.Value;
        var status = input.Str("status");
        if (status is not null && !Statuses.Contains(status))
        {
            return VendorErrors.ZendeskInvalid("status", $"Status: {status} is not a valid status");
        }

        if (input.Number("assignee_id") is { } assignee && (!_users.TryGetValue(assignee, out var agent) || agent.Role == "end-user"))
        {
            return VendorErrors.ZendeskInvalid("assignee_id", $"Assignee: {assignee} is not an agent");
        }

        if (input.Number("group_id") is { } group && _groups.All(g => g.Id != group))
        {
            return VendorErrors.ZendeskInvalid("group_id", $"Group: {group} does not exist");
        }

        if (input["custom_fields"] is JsonArray fields)
        {
            foreach (var field in fields)
            {
                if (field is not JsonObject f || f.Number("id") is not { } fieldId)
                {
                    return VendorErrors.ZendeskBadRequest("custom_fields entries must be objects with a numeric id.");
                }

                if (_fields.All(x => x.Id != fieldId))
                {
                    return VendorErrors.ZendeskInvalid("custom_fields", $"Ticket field {fieldId} does not exist");
                }
            }
        }

        if (input["tags"] is { } tags && tags is not JsonArray)
        {
            return VendorErrors.ZendeskBadRequest("ticket.tags must be an array of strings.");
        }

        return null;
    }

    private static IResult? ValidateCommentBody(JsonObject comment)
    {
        var body = comment.Str("body") ?? comment.Str("value");
        var html = comment.Str("html_body");
        if (string.IsNullOrWhiteSpace(body) && string.IsNullOrWhiteSpace(html))
        {
            return VendorErrors.ZendeskInvalid("comment", "Comment: body, value or html_body is required");
        }

        if (comment["public"] is { } p && p.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
        {
            return VendorErrors.ZendeskBadRequest("comment.public must be a boolean.");
        }

        return null;
    }

    private IResult? ValidateUploads(JsonObject comment)
    {
        if (comment["uploads"] is not { } uploads)
        {
            return null;
        }

        if (uploads is not JsonArray array || array.Any(t => t is not JsonValue v || !v.TryGetValue<string>(out _)))
        {
            return VendorErrors.ZendeskBadRequest("comment.uploads must be an array of upload tokens (strings).");
        }

        var now = clock.GetUtcNow();
        foreach (var token in array.Select(t => t!.GetValue<string>()))
        {
            if (!_uploads.TryGetValue(token, out var upload) || upload.ExpiresAt <= now)
            {
                return VendorErrors.ZendeskInvalid("uploads", $"Uploads: token {token} is invalid or has expired (tokens are valid for {options.Zendesk.UploadTokenLifetime.TotalMinutes:0} minutes)");
            }

            if (upload.CommentId is not null)
            {
                return VendorErrors.ZendeskInvalid("uploads", $"Uploads: token {token} was already used by another comment");
            }
        }

        return null;
    }

    private ZdTicket NewTicket(JsonObject input, long requesterId, string status, DateTimeOffset createdAt, string channel, long? followupSource)
    {
        var ticket = new ZdTicket
        {
            Id = ++_nextTicket,
            CreatedAt = createdAt,
            UpdatedAt = createdAt,
            RequesterId = requesterId,
            SubmitterId = input.Number("submitter_id") ?? requesterId,
            AssigneeId = input.Number("assignee_id"),
            Status = status,
            Channel = channel,
            FollowupSourceId = followupSource,
        };
        ApplyCommonFields(ticket, input);
        return ticket;
    }

    private static void ApplyCommonFields(ZdTicket ticket, JsonObject input)
    {
        ticket.ExternalId = input.Str("external_id") ?? ticket.ExternalId;
        ticket.Subject = input.Str("subject") ?? ticket.Subject;
        ticket.Priority = input.Str("priority") ?? ticket.Priority;
        ticket.Type = input.Str("type") ?? ticket.Type;
        ticket.GroupId = input.Number("group_id") ?? ticket.GroupId;
        if (input["tags"] is JsonArray tags)
        {
            ticket.Tags = [.. tags.Select(t => t?.ToString() ?? "").Where(t => t.Length > 0).Distinct()];
        }

        // Updates only: add or remove some tags, keeping the others (as Zendesk's additional_tags / remove_tags).
        if (input["additional_tags"] is JsonArray added)
        {
            ticket.Tags = [.. ticket.Tags.Concat(added.Select(t => t?.ToString() ?? "").Where(t => t.Length > 0)).Distinct()];
        }

        if (input["remove_tags"] is JsonArray removed)
        {
            var gone = removed.Select(t => t?.ToString()).ToHashSet();
            ticket.Tags = [.. ticket.Tags.Where(t => !gone.Contains(t))];
        }

        if (input["custom_fields"] is JsonArray fields)
        {
            var merged = ticket.CustomFields.ToDictionary(f => f.Id);
            foreach (var f in fields.OfType<JsonObject>())
            {
                var value = f["value"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : (object?)f["value"]?.ToJsonString();
                merged[f.Number("id")!.Value] = new ZdCustomField(f.Number("id")!.Value, value);
            }

            ticket.CustomFields = [.. merged.Values.OrderBy(f => f.Id)];
        }
    }

    private void AddComment(ZdTicket ticket, JsonObject input, long authorId, DateTimeOffset at)
    {
        var html = input.Str("html_body");
        var body = input.Str("body") ?? input.Str("value") ?? StripHtml(html ?? "");
        var comment = new ZdComment
        {
            Id = ++_nextComment,
            AuthorId = authorId,
            Body = body,
            HtmlBody = html ?? $"<div class=\"zd-comment\"><p>{System.Net.WebUtility.HtmlEncode(body)}</p></div>",
            Public = input.Bool("public") ?? true,
            CreatedAt = at,
        };
        if (input["uploads"] is JsonArray uploads)
        {
            foreach (var token in uploads.Select(t => t!.GetValue<string>()))
            {
                var upload = _uploads[token];
                upload.CommentId = comment.Id;
                comment.Attachments.AddRange(upload.Attachments);
            }
        }

        ticket.Comments.Add(comment);
        CommentAdded?.Invoke(ticket);
    }

    private static string StripHtml(string html) =>
        System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(html, "<[^>]+>", " ")).Trim();

    private static DateTimeOffset? ParseTime(string? value) =>
        DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    // ---- uploads ----

    /// <summary>Registers a streamed upload: a new token, or one more file on an existing (unexpired) token.</summary>
    public Outcome<(ZdUpload Upload, ZdAttachment Attachment)> AddUpload(string? token, string fileName, string contentType, long size, string sha256, byte[]? content)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            ZdUpload? upload = null;
            if (token is not null && (!_uploads.TryGetValue(token, out upload) || upload.ExpiresAt <= now || upload.CommentId is not null))
            {
                return Outcome<(ZdUpload, ZdAttachment)>.Fail(VendorErrors.ZendeskInvalid("token", $"Token: {token} is invalid or has expired"));
            }

            upload ??= new ZdUpload { Token = RandomToken(25), ExpiresAt = now + options.Zendesk.UploadTokenLifetime };
            _uploads[upload.Token] = upload;
            var attachment = new ZdAttachment
            {
                Id = ++_nextAttachment,
                DownloadToken = RandomToken(25),
                FileName = fileName,
                ContentType = contentType,
                Size = size,
                Sha256 = sha256,
                Content = content,
            };
            upload.Attachments.Add(attachment);
            _attachments[attachment.Id] = attachment;
            return (upload, attachment);
        }
    }

    public bool DeleteUpload(string token)
    {
        lock (_gate)
        {
            if (!_uploads.TryGetValue(token, out var upload) || upload.CommentId is not null)
            {
                return false;
            }

            _uploads.Remove(token);
            foreach (var a in upload.Attachments)
            {
                _attachments.Remove(a.Id);
            }

            return true;
        }
    }

    private static string RandomToken(int length) => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", length);

    // ---- jobs and idempotency ----

    public ZdJobStatus AddJob(string jobType, List<Dictionary<string, object?>> results) => AddJob(jobType, results.Count, () => results);

    /// <summary>
    /// A background job of <paramref name="total"/> items: its <paramref name="work"/> runs now, or, for a type
    /// in Sandbox:Zendesk:QueueJobTypes, waits in the queue until the type leaves the list (<see cref="RunReleasedJobs"/>).
    /// </summary>
    public ZdJobStatus AddJob(string jobType, int total, Func<List<Dictionary<string, object?>>> work)
    {
        lock (_gate)
        {
            var job = new ZdJobStatus { Id = RandomToken(26), JobType = jobType, Total = total };
            _jobs[job.Id] = job;
            if (options.Zendesk.QueueJobTypes.Contains(jobType))
            {
                job.Queued = true;
                _queuedWork[job.Id] = work;
            }
            else
            {
                job.Results = work();
            }

            return job;
        }
    }

    /// <summary>Runs the queued jobs whose type has left Sandbox:Zendesk:QueueJobTypes (the queue caught up).</summary>
    public void RunReleasedJobs()
    {
        if (_queuedWork.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var (id, work) in _queuedWork.Where(q => !options.Zendesk.QueueJobTypes.Contains(_jobs[q.Key].JobType)).ToList())
            {
                _queuedWork.Remove(id);
                _jobs[id].Results = work();
                _jobs[id].Queued = false;
            }
        }
    }

    /// <summary>Every job so far: id, type, whether it still waits in the queue, and how often it was polled.</summary>
    public IReadOnlyList<(string Id, string JobType, bool Queued, int Polls)> Jobs()
    {
        lock (_gate)
        {
            return [.. _jobs.Values.Select(j => (j.Id, j.JobType, j.Queued, j.Polls))];
        }
    }

    /// <summary>
    /// Jobs run at once but, like Zendesk's background jobs, report their way there: "queued" on the first
    /// poll, "working" (half done, no results yet) on the second, "completed" with the results after that;
    /// a job of a type in <paramref name="stalled"/> stays "working", and one still in the queue "queued".
    /// </summary>
    public ZdJobStatus? PollJob(string id, IReadOnlyCollection<string> stalled)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(id, out var job))
            {
                return null;
            }

            job.Polls++;
            var seen = new ZdJobStatus { Id = job.Id, JobType = job.JobType, Status = job.Status, Results = job.Results, Total = job.Total };
            if (!job.Queued)
            {
                job.Status = job.Status == "queued" || stalled.Contains(job.JobType) ? "working" : "completed";
            }

            return seen;
        }
    }

    /// <summary>
    /// Runs <paramref name="create"/> at most once per Idempotency-Key: the same key with the same body
    /// replays the stored answer; with a different body it is an error (Zendesk: 400 IdempotentRequestError).
    /// </summary>
    public (int Status, string Json, bool Replayed) Idempotent(string key, string bodyHash, Func<(int Status, string Json)> create)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (_idempotency.TryGetValue(key, out var entry) && entry.Expires > now)
            {
                if (entry.BodyHash != bodyHash)
                {
                    return (400, System.Text.Json.JsonSerializer.Serialize(new
                    {
                        error = "IdempotentRequestError",
                        description = "The request body does not match the original request for this Idempotency-Key.",
                    }, SandboxJson.Options), false);
                }

                return (entry.Status, entry.Json, true);
            }

            var (status, json) = create();
            if (status is >= 200 and < 300)
            {
                _idempotency[key] = (bodyHash, status, json, now + options.Zendesk.IdempotencyKeyLifetime);
            }

            return (status, json, false);
        }
    }
}
