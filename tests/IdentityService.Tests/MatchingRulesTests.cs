using Ferry.IdentityService.Data;
using Ferry.IdentityService.Matching;
using Ferry.IdentityService.Vendors.Zendesk;

namespace Ferry.IdentityService.Tests;

/// <summary>Pure matching logic: normalisation, the conflict rule, lock keys.</summary>
public sealed class MatchingRulesTests
{
    [Fact]
    public void Contact_addresses_are_trimmed_lower_cased_and_de_duplicated_primary_first()
    {
        var contact = ContactInput.Create(" c1 ", "user", " Ann ", "  Ann@Example.COM ", ["ann@example.com", "", "  ", "Other@Example.com"], "  ");

        Assert.Equal("c1", contact.ContactId);
        Assert.Equal(["ann@example.com", "other@example.com"], contact.Emails);
        Assert.Null(contact.ExternalId);
        Assert.Null(contact.ZendeskExternalId);
        Assert.Equal("Ann", contact.DisplayName);
    }

    [Fact]
    public void Contact_without_email_or_external_id_uses_its_Intercom_id_as_Zendesk_external_id()
    {
        var lead = ContactInput.Create("42", "lead", "", null, null, null);

        Assert.Equal("intercom-contact-42", lead.ZendeskExternalId);
        Assert.Equal("Intercom lead 42", lead.DisplayName);
        Assert.Equal("cust-7", ContactInput.Create("42", "lead", "", null, null, "cust-7").ZendeskExternalId);
    }

    [Theory]
    [InlineData(" Ann@Example.COM ", "ann@example.com")]
    [InlineData("o'brien+tag@example.com", "o'brien+tag@example.com")]
    [InlineData("*@acme.test", "*@acme.test")]
    [InlineData("jos\u0065\u0301@b\u00fccher.example", "jos\u00e9@xn--bcher-kva.example")]
    [InlineData("ANA@BU\u0308CHER.Example", "ana@xn--bcher-kva.example")]
    public void Addresses_are_trimmed_lower_cased_NFC_and_punycode(string raw, string expected) =>
        Assert.Equal(expected, EmailAddress.Normalize(raw));

    [Theory]
    [InlineData("bob smith@acme.test")]
    [InlineData("\"bob\"@acme.test")]
    [InlineData("bob@acme.test OR alice@acme.test")]
    [InlineData("bob")]
    [InlineData("a@b@acme.test")]
    [InlineData(".bob@acme.test")]
    [InlineData("bob@acme_corp.test")]
    [InlineData("bob@localhost")]
    [InlineData("bob@acme.test.")]
    public void Things_that_are_not_addresses_have_no_normal_form(string raw) =>
        Assert.Null(EmailAddress.Normalize(raw));

    [Fact]
    public void A_contact_with_a_malformed_address_is_refused_naming_the_field_not_the_value()
    {
        var refused = Assert.Throws<InvalidContactException>(() => ContactInput.Create("c1", "user", "", "ok@example.com", ["", "not an address"], null));

        Assert.Equal("contact.other_emails[1] is not an email address (expected local-part@domain); nothing was linked.", refused.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Contact_without_id_is_rejected(string? id) =>
        Assert.Throws<InvalidContactException>(() => ContactInput.Create(id, "user", "x", "a@b.example", null, null));

    [Fact]
    public void Email_owner_wins_over_external_id_owner_and_the_conflict_is_reported()
    {
        var byEmail = new ZendeskUser(1, "A", "a@x.example", null, "end-user");
        var byExternal = new ZendeskUser(2, "B", "b@x.example", "ext", "end-user");

        var decision = MatchRules.Decide("ext", byEmail, "a@x.example", byExternal);

        Assert.Same(byEmail, decision.User);
        Assert.Equal(MatchMethod.PrimaryEmail, decision.Method);
        Assert.Equal(ConflictKind.EmailExternalIdMismatch, decision.Conflict!.Kind);
        Assert.Equal((1L, 2L, 1L), (decision.Conflict.EmailUserId!.Value, decision.Conflict.ExternalIdUserId!.Value, decision.Conflict.ChosenUserId));
        Assert.DoesNotContain("@", decision.Conflict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Email_user_with_a_different_external_id_is_a_conflict_even_without_a_second_user()
    {
        var byEmail = new ZendeskUser(1, "A", "a@x.example", "other-ext", "end-user");

        var decision = MatchRules.Decide("ext", byEmail, "a@x.example", null);

        Assert.Same(byEmail, decision.User);
        Assert.NotNull(decision.Conflict);
        Assert.Null(decision.Conflict.ExternalIdUserId);
    }

    [Theory]
    [InlineData("a@x.example", "a@x.example", MatchMethod.PrimaryEmail)]
    [InlineData("A@X.example", "a@x.example", MatchMethod.PrimaryEmail)]
    [InlineData("main@x.example", "a@x.example", MatchMethod.SecondaryEmail)]
    public void Email_match_is_primary_or_secondary_by_the_Zendesk_primary_address(string zendeskPrimary, string matched, MatchMethod expected)
    {
        var decision = MatchRules.Decide(null, new ZendeskUser(1, "A", zendeskPrimary, null, "end-user"), matched, null);

        Assert.Equal(expected, decision.Method);
        Assert.Null(decision.Conflict);
    }

    [Fact]
    public void External_id_then_create()
    {
        var byExternal = new ZendeskUser(2, "B", null, "ext", "end-user");

        Assert.Equal(MatchMethod.ExternalId, MatchRules.Decide("ext", null, null, byExternal).Method);
        var create = MatchRules.Decide("ext", null, null, null);
        Assert.Null(create.User);
        Assert.Equal(MatchMethod.Created, create.Method);
    }

    [Fact]
    public void Lock_keys_are_stable_and_distinct()
    {
        Assert.Equal(LinkStore.LockKey("contact:1"), LinkStore.LockKey("contact:1"));
        Assert.NotEqual(LinkStore.LockKey("contact:1"), LinkStore.LockKey("email:1"));
    }
}
