using System.Reflection;
using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Applies a service's SQL migrations (embedded resources under Data/Migrations, run in name order)
/// to the schema it owns, before the service starts serving. Several replicas may start at once:
/// a Postgres advisory lock per schema lets one apply while the others wait, and DbUp's journal
/// table (schema_versions in that schema) makes the waiting replicas skip what already ran.
/// </summary>
public static partial class SchemaMigrations
{
    /// <summary>
    /// The Postgres database behind <paramref name="connectionName"/> (a pooled NpgsqlDataSource) with the service's
    /// <paramref name="schema"/>, migrated from <paramref name="scriptAssembly"/> while the host starts (<see cref="SchemaMigrationService"/>).
    /// </summary>
    public static IHostApplicationBuilder AddFerryDatabase(this IHostApplicationBuilder builder, string connectionName, string schema, Assembly scriptAssembly)
    {
        // Ferry sends the same few statements again and again (the inbox batch, claims, the ledger): prepared once
        // per connection, Postgres stops planning them on every call. A connection string that sets Max Auto Prepare
        // keeps its value (0 turns it off, e.g. behind a pooler without prepared-statement support).
        var configured = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.Configuration.GetConnectionString(connectionName) ?? "" };
        var prepareSet = configured.ContainsKey("Max Auto Prepare") || configured.ContainsKey("MaxAutoPrepare");
        // A connection going back to the pool is not reset (RESET ALL, UNLISTEN *, unlocking advisory locks:
        // 0.1 ms of server time sent ahead of the next command, about 20 times a sync). Ferry leaves no session state
        // on a pooled connection: its settings are SET LOCAL, its advisory locks transaction-scoped, the migrations'
        // session lock is taken on a connection of their own and the LISTEN connections are held for the process's
        // life; Npgsql still rolls back a transaction left open. A connection string that sets No Reset On Close wins.
        var resetSet = configured.ContainsKey("No Reset On Close") || configured.ContainsKey("NoResetOnClose");
        builder.AddNpgsqlDataSource(connectionName, configureDataSourceBuilder: dataSource =>
        {
            if (!prepareSet)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = MaxAutoPrepare;
            }

            if (!resetSet)
            {
                dataSource.ConnectionStringBuilder.NoResetOnClose = true;
            }
        });
        builder.Services.AddHostedService(services => new SchemaMigrationService(services, connectionName, schema, scriptAssembly));
        return builder;
    }

    /// <summary>Statements each connection keeps prepared (Npgsql's automatic preparation; its default is none).</summary>
    public const int MaxAutoPrepare = 100;

    public static async Task MigrateSchemaAsync(this IServiceProvider services, string connectionName, string schema, Assembly scriptAssembly, CancellationToken cancellationToken = default)
    {
        var connectionString = services.GetRequiredService<IConfiguration>().GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"Connection string '{connectionName}' is not configured.");
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaMigrations));

        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('ferry.migrations:' || @schema))", lockConnection))
        {
            take.Parameters.AddWithValue("schema", schema);
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", lockConnection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            // Scripts use unqualified names: they land in the service's own schema.
            var scriptConnection = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString;
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(scriptConnection, schema)
                .WithScriptsEmbeddedInAssembly(scriptAssembly, name => name.Contains(".Data.Migrations.", StringComparison.Ordinal))
                .JournalToPostgresqlTable(schema, "schema_versions")
                .WithTransactionPerScript()
                .LogTo(new DbUpLogger(logger))
                .Build();

            var result = upgrader.PerformUpgrade();
            var appliedCount = result.Scripts.Count();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Migration of schema '{schema}' failed at {result.ErrorScript?.Name}.", result.Error);
            }

            LogMigrated(logger, schema, appliedCount);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema {Schema} is up to date ({Applied} scripts applied now)")]
    private static partial void LogMigrated(ILogger logger, string schema, int applied);

    [LoggerMessage(Message = "{Message}")]
    private static partial void LogDbUp(ILogger logger, LogLevel level, Exception? exception, string message);

    private sealed class DbUpLogger(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => Write(LogLevel.Trace, null, format, args);
        public void LogDebug(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);
        public void LogInformation(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);
        public void LogWarning(string format, params object[] args) => Write(LogLevel.Warning, null, format, args);
        public void LogError(string format, params object[] args) => Write(LogLevel.Error, null, format, args);
        public void LogError(Exception ex, string format, params object[] args) => Write(LogLevel.Error, ex, format, args);

        private void Write(LogLevel level, Exception? exception, string format, object[] args)
        {
            if (logger.IsEnabled(level))
            {
                var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
                LogDbUp(logger, level, exception, message);
            }
        }
    }
}
