using System.Globalization;
using Ferry.Sandbox.Common;

namespace Ferry.Sandbox.Intercom;

/// <summary>The emulated Intercom workspace: contacts, admins, teams, tags, conversations. Thread-safe (one lock).</summary>
public sealed class IntercomState(SandboxClock clock)
{
    public const int MaxPartsReturned = 500;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, IcContact> _contacts = [];
    private readonly Dictionary<string, IcAdmin> _admins = [];
    private readonly Dictionary<string, IcTeam> _teams = [];
    private readonly Dictionary<string, IcTag> _tags = [];
    private readonly Dictionary<string, IcConversation> _conversations = [];
    private readonly Dictionary<string, string> _mergedInto = [];
    private readonly Dictionary<long, byte[]> _files = [];
    private long _nextConversation = 100000;
    private long _nextPart = 7000000;
    private long _nextContact = 0x65a000000000;
    private long _nextAdmin = 800000;
    private long _nextTeam = 900000;
    private long _nextTag = 4000;
    private long _nextFile;

    public Lock Gate => _gate;

    public IReadOnlyList<IcContact> Contacts() { lock (_gate) { return [.. _contacts.Values]; } }

    public IReadOnlyList<IcAdmin> Admins() { lock (_gate) { return [.. _admins.Values.OrderBy(a => a.Id, StringComparer.Ordinal)]; } }

    public IReadOnlyList<IcTeam> Teams() { lock (_gate) { return [.. _teams.Values]; } }

    public IReadOnlyList<IcTag> Tags() { lock (_gate) { return [.. _tags.Values]; } }

    public IReadOnlyList<IcConversation> Conversations() { lock (_gate) { return [.. _conversations.Values.OrderBy(c => long.Parse(c.Id, CultureInfo.InvariantCulture))]; } }

    public IcConversation? Conversation(string id) { lock (_gate) { return _conversations.GetValueOrDefault(id); } }

    public IcContact? Contact(string id) { lock (_gate) { return _contacts.GetValueOrDefault(id); } }

    public IcAdmin? Admin(string id) { lock (_gate) { return _admins.GetValueOrDefault(id); } }

    public void Reset()
    {
        lock (_gate)
        {
            _contacts.Clear();
            _admins.Clear();
            _teams.Clear();
            _tags.Clear();
            _conversations.Clear();
            _mergedInto.Clear();
            _files.Clear();
        }
    }

    /// <summary>
    /// A file sent inside a request (a reply's attachment_files): unlike generated attachments its bytes are kept,
    /// under a negative seed (generated ones are never negative), and served at its pre-signed URL.
    /// </summary>
    public IcAttachment StoreFile(string name, string contentType, byte[] data)
    {
        lock (_gate)
        {
            var seed = -++_nextFile;
            _files[seed] = data;
            return new IcAttachment(name, contentType, data.LongLength, seed);
        }
    }

    public byte[]? StoredFile(long seed) { lock (_gate) { return _files.GetValueOrDefault(seed); } }

    public IcContact AddContact(string role, string? email, string? name, string? externalId = null, string? phone = null)
    {
        lock (_gate)
        {
            var now = clock.UnixNow;
            var contact = new IcContact
            {
                Id = (++_nextContact).ToString("x", CultureInfo.InvariantCulture),
                Role = role,
                Email = email,
                Name = name,
                ExternalId = externalId,
                Phone = phone,
                CreatedAt = now,
                UpdatedAt = now,
            };
            _contacts[contact.Id] = contact;
            return contact;
        }
    }

    public IcAdmin AddAdmin(string name, string email)
    {
        lock (_gate)
        {
            var admin = new IcAdmin { Id = (++_nextAdmin).ToString(CultureInfo.InvariantCulture), Name = name, Email = email };
            _admins[admin.Id] = admin;
            return admin;
        }
    }

    public IcTeam AddTeam(string name, IEnumerable<string> adminIds)
    {
        lock (_gate)
        {
            var ids = adminIds.Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToList();
            var team = new IcTeam((++_nextTeam).ToString(CultureInfo.InvariantCulture), name, ids);
            _teams[team.Id] = team;
            foreach (var id in adminIds)
            {
                _admins.GetValueOrDefault(id)?.TeamIds.Add(long.Parse(team.Id, CultureInfo.InvariantCulture));
            }

            return team;
        }
    }

    public IcTag Tag(string name)
    {
        lock (_gate)
        {
            var existing = _tags.Values.FirstOrDefault(t => t.Name == name);
            if (existing is not null)
            {
                return existing;
            }

            var tag = new IcTag((++_nextTag).ToString(CultureInfo.InvariantCulture), name);
            _tags[tag.Id] = tag;
            return tag;
        }
    }

    public IcAuthor AuthorFor(IcContact contact) => new(contact.Role, contact.Id, contact.Name, contact.Email);

    public static IcAuthor AuthorFor(IcAdmin admin) => new("admin", admin.Id, admin.Name, admin.Email);

    /// <summary>A conversation opened by a contact (customer_initiated), optionally back-dated.</summary>
    public IcConversation CreateConversation(IcContact contact, string subject, string body, IReadOnlyList<IcAttachment>? attachments = null, long? createdAt = null)
    {
        lock (_gate)
        {
            var at = createdAt ?? clock.UnixNow;
            var conversation = new IcConversation
            {
                Id = (++_nextConversation).ToString(CultureInfo.InvariantCulture),
                Title = subject.Length == 0 ? null : subject,
                CreatedAt = at,
                UpdatedAt = at,
                WaitingSince = at,
                SourceId = (++_nextPart).ToString(CultureInfo.InvariantCulture),
                SourceSubject = subject,
                SourceBody = body,
                SourceAuthor = AuthorFor(contact),
                SourceAttachments = [.. attachments ?? []],
            };
            conversation.ContactIds.Add(contact.Id);
            _conversations[conversation.Id] = conversation;
            return conversation;
        }
    }

    /// <summary>
    /// <c>DELETE /contacts/{id}</c>: the contact is gone (reads answer 404, lists leave it out). Its conversations and
    /// the parts it wrote stay, still naming it.
    /// </summary>
    public IcContact? DeleteContact(string id)
    {
        lock (_gate)
        {
            return _contacts.Remove(id, out var contact) ? contact : null;
        }
    }

    /// <summary>The contact a merged-away contact ended in (its merge target's own merges followed), or null when <paramref name="id"/> was never merged.</summary>
    public string? MergedInto(string id)
    {
        lock (_gate)
        {
            var canonical = _mergedInto.GetValueOrDefault(id);
            while (canonical is not null && _mergedInto.TryGetValue(canonical, out var next))
            {
                canonical = next;
            }

            return canonical;
        }
    }

    /// <summary>
    /// <c>POST /contacts/merge</c>: a lead into a user. The lead leaves the workspace (reads of it answer 410 with the
    /// user as canonical contact, lists leave it out) and its conversations become the user's; parts it wrote keep
    /// naming it as their author. Null with the HTTP status and reason when the pair cannot be merged.
    /// </summary>
    public (IcContact? Into, int Status, string? Error) MergeContact(string fromId, string intoId, bool skipDuplicateValidation)
    {
        lock (_gate)
        {
            if (!_contacts.TryGetValue(fromId, out var from) || !_contacts.TryGetValue(intoId, out var into))
            {
                return (null, 404, "Contact Not Found");
            }

            if (from.Role != "lead" || into.Role != "user")
            {
                return (null, 400, "Only a lead can be merged, and only into a user");
            }

            var duplicates = (from.Email is not null && string.Equals(from.Email, into.Email, StringComparison.OrdinalIgnoreCase))
                || (from.Phone is not null && from.Phone == into.Phone);
            if (!duplicates && !skipDuplicateValidation)
            {
                return (null, 400, "Contacts can only be merged when they are duplicates");
            }

            _contacts.Remove(fromId);
            _mergedInto[fromId] = intoId;
            foreach (var conversation in _conversations.Values)
            {
                var at = conversation.ContactIds.IndexOf(fromId);
                if (at >= 0)
                {
                    conversation.ContactIds.RemoveAt(at);
                    if (!conversation.ContactIds.Contains(intoId))
                    {
                        conversation.ContactIds.Insert(at, intoId);
                    }
                }
            }

            into.UpdatedAt = clock.UnixNow;
            return (into, 200, null);
        }
    }

    /// <summary>Deletes a conversation for good, as Intercom's DELETE does: every read and search after it finds nothing.</summary>
    public bool DeleteConversation(string id)
    {
        lock (_gate)
        {
            return _conversations.Remove(id);
        }
    }

    /// <summary>Appends a part and applies its effect on state/assignment. Returns null when the conversation does not exist.</summary>
    public IcPart? AddPart(string conversationId, string partType, IcAuthor author, string? body,
        IReadOnlyList<IcAttachment>? attachments = null, IcAuthor? assignedTo = null, long? at = null, long? snoozedUntil = null)
    {
        lock (_gate)
        {
            if (!_conversations.TryGetValue(conversationId, out var conversation))
            {
                return null;
            }

            var when = at ?? Math.Max(clock.UnixNow, conversation.UpdatedAt);
            var part = new IcPart
            {
                Id = (++_nextPart).ToString(CultureInfo.InvariantCulture),
                PartType = partType,
                Body = body,
                CreatedAt = when,
                Author = author,
                Attachments = [.. attachments ?? []],
                AssignedTo = assignedTo,
            };
            conversation.Parts.Add(part);
            conversation.UpdatedAt = Math.Max(conversation.UpdatedAt, when);
            switch (partType)
            {
                case "close":
                    conversation.State = "closed";
                    conversation.SnoozedUntil = null;
                    break;
                case "open" or "unsnoozed":
                    conversation.State = "open";
                    conversation.SnoozedUntil = null;
                    break;
                case "snoozed":
                    conversation.State = "snoozed";
                    conversation.SnoozedUntil = snoozedUntil;
                    break;
                case "assignment" or "away_mode_assignment" when assignedTo is not null:
                    if (assignedTo.Type == "team")
                    {
                        conversation.TeamAssigneeId = long.Parse(assignedTo.Id, CultureInfo.InvariantCulture);
                    }
                    else
                    {
                        conversation.AdminAssigneeId = long.Parse(assignedTo.Id, CultureInfo.InvariantCulture);
                    }

                    break;
                case "comment" when author.Type is "user" or "lead":
                    conversation.WaitingSince ??= when;
                    if (conversation.State == "closed")
                    {
                        conversation.State = "open";
                    }

                    break;
                case "comment" when author.Type is "admin" or "bot":
                    conversation.WaitingSince = null;
                    break;
            }

            return part;
        }
    }

    public bool AddTag(string conversationId, IcTag tag)
    {
        lock (_gate)
        {
            if (!_conversations.TryGetValue(conversationId, out var conversation))
            {
                return false;
            }

            if (conversation.Tags.All(t => t.Id != tag.Id))
            {
                conversation.Tags.Add(tag);
            }

            conversation.UpdatedAt = clock.UnixNow;
            return true;
        }
    }
}
