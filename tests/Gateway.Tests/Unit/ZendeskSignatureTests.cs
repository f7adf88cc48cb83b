using System.Globalization;
using System.Text;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Webhooks;

namespace Ferry.Gateway.Tests.Unit;

public sealed class ZendeskSignatureTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("zendesk-webhook-secret");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"ticket_id":"123","external_id":"intercom-conversation-456","status":"solved","updated_at":"2026-11-25T14:00:00Z"}""");
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 14, 0, 30, TimeSpan.Zero);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static string Stamp(DateTimeOffset at) => at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    [Fact]
    public void Signature_over_timestamp_and_raw_body_is_valid()
    {
        var timestamp = Stamp(Now);
        Assert.Equal(ZendeskSignatureCheck.Valid,
            ZendeskSignature.Check(Body, ZendeskSignature.Sign(Body, timestamp, Secret), timestamp, Secret, Now, Tolerance));
    }

    [Fact]
    public void Known_vector_matches_the_documented_construction()
    {
        // base64(HMAC-SHA256(secret, timestamp + body)), computed independently of the production helper.
        var timestamp = Stamp(Now);
        using var hmac = new System.Security.Cryptography.HMACSHA256(Secret);
        var expected = Convert.ToBase64String(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(timestamp), .. Body]));
        Assert.Equal(ZendeskSignatureCheck.Valid, ZendeskSignature.Check(Body, expected, timestamp, Secret, Now, Tolerance));
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(6)]
    [InlineData(-60 * 24)]
    public void Timestamps_outside_the_window_are_stale_even_when_correctly_signed(int minutesFromNow)
    {
        var timestamp = Stamp(Now.AddMinutes(minutesFromNow));
        Assert.Equal(ZendeskSignatureCheck.StaleTimestamp,
            ZendeskSignature.Check(Body, ZendeskSignature.Sign(Body, timestamp, Secret), timestamp, Secret, Now, Tolerance));
    }

    [Theory]
    [InlineData(-4)]
    [InlineData(4)]
    public void Timestamps_inside_the_window_are_accepted(int minutesFromNow)
    {
        var timestamp = Stamp(Now.AddMinutes(minutesFromNow));
        Assert.Equal(ZendeskSignatureCheck.Valid,
            ZendeskSignature.Check(Body, ZendeskSignature.Sign(Body, timestamp, Secret), timestamp, Secret, Now, Tolerance));
    }

    [Fact]
    public void Changing_the_timestamp_after_signing_breaks_the_signature()
    {
        var signature = ZendeskSignature.Sign(Body, Stamp(Now.AddHours(-1)), Secret);
        Assert.Equal(ZendeskSignatureCheck.Invalid, ZendeskSignature.Check(Body, signature, Stamp(Now), Secret, Now, Tolerance));
    }

    [Fact]
    public void Signature_over_re_serialised_json_is_invalid()
    {
        var reserialised = JsonBytes.Reserialise(Body);
        var timestamp = Stamp(Now);
        Assert.Equal(ZendeskSignatureCheck.Invalid,
            ZendeskSignature.Check(Body, ZendeskSignature.Sign(reserialised, timestamp, Secret), timestamp, Secret, Now, Tolerance));
    }

    [Theory]
    [InlineData(null, "2026-11-25T14:00:30Z", ZendeskSignatureCheck.Missing)]
    [InlineData("c2ln", null, ZendeskSignatureCheck.Missing)]
    [InlineData("not base64!", "2026-11-25T14:00:30Z", ZendeskSignatureCheck.Invalid)]
    [InlineData("c2ln", "2026-11-25T14:00:30Z", ZendeskSignatureCheck.Invalid)]
    public void Missing_or_garbled_headers_are_rejected(string? signature, string? timestamp, ZendeskSignatureCheck expected)
    {
        Assert.Equal(expected, ZendeskSignature.Check(Body, signature, timestamp, Secret, Now, Tolerance));
    }

    [Fact]
    public void Unix_second_timestamps_are_understood()
    {
        var timestamp = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        Assert.Equal(ZendeskSignatureCheck.Valid,
            ZendeskSignature.Check(Body, ZendeskSignature.Sign(Body, timestamp, Secret), timestamp, Secret, Now, Tolerance));
    }
}
