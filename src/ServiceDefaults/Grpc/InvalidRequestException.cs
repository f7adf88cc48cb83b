namespace Ferry.ServiceDefaults.Grpc;

/// <summary>The request itself is wrong (a missing or malformed field): retrying it unchanged cannot succeed.</summary>
public class InvalidRequestException(string message) : Exception(message);
