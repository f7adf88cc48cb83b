using Ferry.Sandbox.Common;
using Ferry.Sandbox.Intercom;
using Ferry.Sandbox.Zendesk;

namespace Ferry.Sandbox.Scenarios;

/// <summary>Realistic data: contacts (users, leads without email, secondary emails), admins, teams and conversations with every kind of part.</summary>
public sealed class ScenarioSeeder(IntercomState intercom, ZendeskState zendesk, SandboxClock clock)
{
    private static readonly string[] Subjects =
    [
        "Can't log in after password reset", "Facture en double ce mois-ci", "Export to CSV is empty",
        "Zahlung fehlgeschlagen 💳", "请帮我取消订阅", "Webhook retries <script>alert(1)</script>",
    ];

    private static readonly string[] Bodies =
    [
        "<p>Hi, I reset my password but the login page says <b>invalid</b>.</p>",
        "<p>J'ai été facturé deux fois — pouvez-vous vérifier ? Merci&nbsp;!</p>",
        "<p>The export finishes but the file has only headers.<br>Steps:<ol><li>Reports</li><li>Export</li></ol></p>",
        "<p>Grüße aus München — die Zahlung wurde abgelehnt. Ümlaut test: äöüß</p>",
        "<p>你好，我想取消我的订阅。谢谢！ 🙏</p>",
        "<p>Our endpoint sees <code>&lt;duplicate&gt;</code> deliveries &amp; odd ordering.</p>",
    ];

    /// <summary>Ensures the standard staff exist (admins, a team, matching Zendesk agents); idempotent.</summary>
    public (IcAdmin Admin, IcAdmin Second, IcTeam Team) EnsureStaff()
    {
        var admins = intercom.Admins();
        var first = admins.FirstOrDefault(a => a.Email == "ada@sandbox.example") ?? intercom.AddAdmin("Ada Agent", "ada@sandbox.example");
        var second = admins.FirstOrDefault(a => a.Email == "grace@sandbox.example") ?? intercom.AddAdmin("Grace Support", "grace@sandbox.example");
        var team = intercom.Teams().FirstOrDefault(t => t.Name == "Tier 1") ?? intercom.AddTeam("Tier 1", [first.Id, second.Id]);
        foreach (var admin in new[] { first, second })
        {
            if (zendesk.SearchUsers($"email:{admin.Email}", null).Count == 0)
            {
                zendesk.AddUser(admin.Name, admin.Email, "agent");
            }
        }

        return (first, second, team);
    }

    /// <summary>Seeds <paramref name="count"/> contacts with one conversation each; deterministic for a given seed.</summary>
    public IReadOnlyList<IcConversation> Seed(int count, int seed = 42, int partsPerConversation = 8)
    {
        var random = new Random(seed);
        var (admin, second, team) = EnsureStaff();
        var result = new List<IcConversation>();
        for (var i = 0; i < count; i++)
        {
            var n = random.Next(1_000_000);
            IcContact contact = (i % 5) switch
            {
                3 => intercom.AddContact("lead", null, $"Visitor {n}"),
                4 => intercom.AddContact("lead", $"lead{n}@example.net", $"Lead {n}"),
                _ => intercom.AddContact("user", $"user{n}@example.com", $"Ünïcode Üser {n}", externalId: $"crm-{n}"),
            };
            if (i % 7 == 0 && contact.Email is not null)
            {
                // The same person already exists in Zendesk under a secondary address.
                zendesk.AddUser(contact.Name ?? "Someone", $"work{n}@corp.example", secondaryEmails: [contact.Email]);
            }

            var start = clock.UnixNow - (3600 * (count - i)) - 86400;
            var attachments = i % 3 == 0
                ? new List<IcAttachment> { new("screenshot.png", "image/png", 1000 + random.Next(200_000), random.NextInt64(), 800, 600) }
                : [];
            var conversation = intercom.CreateConversation(contact, Subjects[i % Subjects.Length], Bodies[i % Bodies.Length], attachments, start);
            var at = start;
            var author = intercom.AuthorFor(contact);
            for (var p = 0; p < partsPerConversation; p++)
            {
                at += 60 + random.Next(600);
                switch (p % 8)
                {
                    case 0: intercom.AddPart(conversation.Id, "assignment", new IcAuthor("bot", "bot-1", "Operator", null), null, assignedTo: new IcAuthor("team", team.Id, team.Name, null), at: at); break;
                    case 1: intercom.AddPart(conversation.Id, "assignment", IntercomState.AuthorFor(admin), null, assignedTo: IntercomState.AuthorFor(admin), at: at); break;
                    case 2: intercom.AddPart(conversation.Id, "comment", IntercomState.AuthorFor(admin), "<p>Thanks for reaching out — looking into it now. 👀</p>", at: at); break;
                    case 3: intercom.AddPart(conversation.Id, "note", IntercomState.AuthorFor(second), "<p>Internal: customer is on the <i>Pro</i> plan.</p>", at: at); break;
                    case 4: intercom.AddPart(conversation.Id, "comment", author, "<p>Here is the log file.</p>", [new IcAttachment("log.txt", "text/plain", random.Next(0, 50_000), random.NextInt64())], at: at); break;
                    case 5: intercom.AddPart(conversation.Id, "comment", new IcAuthor("bot", "bot-1", "Operator", null), "<p>Did that answer your question?</p>", at: at); break;
                    case 6: intercom.AddPart(conversation.Id, "snoozed", IntercomState.AuthorFor(admin), null, at: at, snoozedUntil: at + 86400); break;
                    default: intercom.AddPart(conversation.Id, i % 2 == 0 ? "close" : "open", IntercomState.AuthorFor(admin), null, at: at); break;
                }
            }

            if (i % 4 == 0)
            {
                intercom.AddTag(conversation.Id, intercom.Tag(i % 8 == 0 ? "vip" : "billing"));
            }

            result.Add(conversation);
        }

        return result;
    }
}
