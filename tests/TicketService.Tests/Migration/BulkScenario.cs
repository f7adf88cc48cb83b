using Ferry.Sandbox.Intercom;
using Ferry.Testing;
using Ferry.V1;
using Grpc.Core;

namespace Ferry.TicketService.Tests.Migration;

/// <summary>What the bulk backfill tests share: seeding the sandbox, running a backfill to its end, and the checks.</summary>
internal static class BulkScenario
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Half the customers are new; half are returning (a Zendesk user with their address and external_id already exists). Every fourth conversation is closed.</summary>
    public static List<IcConversation> Seed(SandboxServer sandbox, int count)
    {
        var admin = sandbox.Intercom.AddAdmin("Ada Agent", "ada@company.example");
        var conversations = new List<IcConversation>();
        for (var i = 0; i < count; i++)
        {
            var email = $"customer-{i}-{Guid.NewGuid():N}@customers.example";
            var contact = sandbox.Intercom.AddContact("user", email, $"Customer {i}", externalId: $"ext-{email}");
            if (i % 2 == 1)
            {
                sandbox.Zendesk.AddUser($"Customer {i}", email, externalId: $"ext-{email}");
            }

            var conversation = sandbox.Intercom.CreateConversation(contact, $"Question {i}", $"<p>Question {i}</p>");
            sandbox.Intercom.AddPart(conversation.Id, "comment", IntercomState.AuthorFor(admin), $"<p>Answer {i}</p>");
            if (i % 4 == 0)
            {
                sandbox.Intercom.AddPart(conversation.Id, "close", IntercomState.AuthorFor(admin), null);
            }

            conversations.Add(conversation);
        }

        return conversations;
    }

    /// <summary>One ticket per conversation, holding every message of its thread once.</summary>
    public static void AssertEveryTicketComplete(SandboxServer sandbox, IEnumerable<IcConversation> conversations)
    {
        foreach (var conversation in conversations)
        {
            var ticket = Assert.Single(sandbox.Zendesk.TicketsByExternalId($"intercom-conversation-{conversation.Id}"));
            var messages = sandbox.Intercom.Conversation(conversation.Id)!.Parts.Count(p => !string.IsNullOrEmpty(p.Body)) + 1;
            Assert.Equal(messages, ticket.Comments.Count);
        }
    }

    /// <summary>Runs the backfill to its end and returns its last step.</summary>
    public static async Task<BackfillProgress> LastAsync(V1.Sync.SyncClient sync, BackfillRequest request)
    {
        BackfillProgress? last = null;
        using var stream = sync.Backfill(request, cancellationToken: Ct);
        await foreach (var step in stream.ResponseStream.ReadAllAsync(Ct))
        {
            last = step;
        }

        return last!;
    }

    public static async Task WaitForQueueToDrainAsync(string connectionString)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await CountAsync(connectionString, "SELECT count(*) FROM sync.jobs WHERE state IN ('pending', 'running')") is var queued && queued > 0)
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Live sync did not drain the queue in time: {queued} jobs {await UndrainedAsync(connectionString)}");
            }

            await Task.Delay(200, Ct);
        }
    }

    /// <summary>A few of the jobs still queued, described, to tell a stuck job from a slow queue.</summary>
    private static async Task<string> UndrainedAsync(string connectionString)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("""
            SELECT string_agg(format('%s %s attempt %s, run_after in %s, lease_until %s, paused %s: %s', conversation_id, state, attempt,
                                     run_after - now(), lease_until - now(), (SELECT paused FROM sync.control), COALESCE(last_error, '-')), '; ')
            FROM (SELECT * FROM sync.jobs WHERE state IN ('pending', 'running') ORDER BY job_id LIMIT 5) j
            """);
        var unanswered = await CountAsync(connectionString, "SELECT count(*) FROM sync.backfill_jobs WHERE job_id IS NULL AND finished_at IS NULL");
        return $"({unanswered} create_many without an answer: their conversations stay held until the lease passes), {await command.ExecuteScalarAsync(Ct)}";
    }

    public static async Task<long> CountAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
