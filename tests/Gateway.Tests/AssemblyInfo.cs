using Ferry.Testing;

[assembly: AssemblyFixture(typeof(RedisServer))]
