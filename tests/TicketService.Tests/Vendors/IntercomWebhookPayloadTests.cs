using System.Text;
using Ferry.TicketService.Vendors.Intercom;

namespace Ferry.TicketService.Tests.Vendors;

public sealed class IntercomWebhookPayloadTests
{
    [Theory]
    [InlineData("""{"data":{"item":{"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"6657a1"},{"id":"other"}]}}}}""", "6657a1")]
    [InlineData("""{"data":{"item":{"contacts":{"contacts":[{"id":4242}]}}}}""", "4242")]
    [InlineData("""{"data":{"item":{"contacts":{"contacts":[]}}}}""", null)]
    [InlineData("""{"data":{"item":{"contacts":{"contacts":[{"id":""}]}}}}""", null)]
    [InlineData("""{"data":{"item":{"type":"contact","id":"6657a1"}}}""", null)]
    [InlineData("""{"data":{"item":{"contacts":[{"id":"6657a1"}]}}}""", null)]
    [InlineData("""[]""", null)]
    [InlineData("""{}""", null)]
    [InlineData("""not json""", null)]
    public void The_requester_is_the_first_contact_the_notification_names_and_anything_else_is_none(string payload, string? expected) =>
        Assert.Equal(expected, IntercomWebhookPayload.RequesterId(Encoding.UTF8.GetBytes(payload)));
}
