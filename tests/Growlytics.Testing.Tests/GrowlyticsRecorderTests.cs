using System.Net;
using System.Text;
using GrowlyticsSdk.Testing;

namespace GrowlyticsSdk.Testing.Tests;

public sealed class GrowlyticsRecorderTests
{
    [Fact]
    public async Task Calls_PushIdentifyLogoutWithBatch_RecordsEachCallWithItsUserAndAttributes()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);

        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        client.User.Identify("u-42", new UserAttributes { Name = "John Wick", ["total"] = 30000, ["vip"] = true });
        client.User.Logout();
        await client.FlushAsync();

        var calls = recorder.Calls;
        calls.Select(c => c.Type).Should().Equal(RecordedCallType.Update, RecordedCallType.Login, RecordedCallType.Logout);
        calls[0].UserId.Should().BeNull();
        calls[0]["city"].Should().Be("Pune");
        calls[1].UserId.Should().Be("u-42");
        calls[1].AnonymousId.Should().Be(calls[0].AnonymousId);
        calls[1].Attributes.Select(a => (a.Name, a.Type, a.Value)).Should().Equal(
            ("name", "string", "John Wick"), ("total", "number", "30000"), ("vip", "boolean", "true"));
        calls[2].UserId.Should().Be("u-42");
        calls[2].Attributes.Should().BeEmpty();
    }

    [Fact]
    public async Task Calls_WithRestTheDefault_HoldOnlyTheUpserts_AndTheLoginCarriesWhatTheSessionPushedWhileAnonymous()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient();

        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        client.User.Logout();
        client.User.Identify("u-2");
        await client.FlushAsync();

        var call = recorder.Calls.Should().ContainSingle("an anonymous push, a logout and an identify without attributes send nothing").Subject;
        call.Type.Should().Be(RecordedCallType.CustomerUpsert);
        call.UserId.Should().Be("u-1");
        call.AnonymousId.Should().BeNull("the REST API has no anonymous id");
        recorder.GetUserAttributes("u-1").Should().Equal(
            new Dictionary<string, string> { ["city"] = "Pune", ["plan"] = "pro" }, "the login's upsert carries the anonymous push");
        recorder.GetUserAttributes("u-2").Should().BeEmpty();
    }

    [Fact]
    public async Task GetUserAttributes_WithBatch_LeavesOutWhatTheSessionPushedWhileAnonymous()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);

        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync();

        recorder.Calls.Select(c => (c.Type, c.UserId)).Should().Equal((RecordedCallType.Update, null), (RecordedCallType.Login, "u-1"));
        recorder.GetUserAttributes("u-1").Should().Equal(
            new Dictionary<string, string> { ["plan"] = "pro" }, "the push went out under the anonymous id, before the login");
    }

    [Fact]
    public async Task CreateClient_ConfigureStartsFromTheDocumentedSettings_AndTheUserNeedsNoScope()
    {
        using var recorder = new GrowlyticsRecorder();
        var seen = (Key: false, Mode: SessionMode.RequireScope, FlushOnExit: true, Http: (HttpClient?)null, Protocol: GrowlyticsProtocol.Batch);

        await using var client = recorder.CreateClient(o =>
            seen = (o.ApiKey == GrowlyticsRecorder.TestApiKey, o.SessionMode, o.FlushOnProcessExit, o.HttpClient, o.Protocol));
        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync();

        seen.Key.Should().BeTrue("the API key is TestApiKey");
        seen.Mode.Should().Be(SessionMode.ProcessWide);
        seen.FlushOnExit.Should().BeFalse("no flush at process exit");
        seen.Http.Should().BeSameAs(recorder.HttpClient);
        seen.Protocol.Should().Be(GrowlyticsProtocol.Rest, "the SDK's default protocol, as the app's");
        recorder.GetUserAttributes("u-1")["plan"].Should().Be("pro", "the process-wide session needs no scope");
    }

    [Fact]
    public async Task GetUserAttributes_SeveralCalls_MergesThemInCallOrder()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);

        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "free", ["region"] = "Mumbai" });
        client.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
        client.User.Identify("u-2", new Dictionary<string, object?> { ["plan"] = "team" });
        await client.FlushAsync();

        recorder.GetUserAttributes("u-1").Should().Equal(new Dictionary<string, string> { ["plan"] = "pro", ["region"] = "Mumbai" });
        recorder.GetUserAttributes("u-2").Should().Equal(new Dictionary<string, string> { ["plan"] = "team" });
        recorder.GetUserAttributes("nobody").Should().BeEmpty();
    }

    [Fact]
    public async Task GetUserAttributes_Null_ThrowsInsteadOfMergingEveryAnonymousCall()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        using (client.BeginScope())
        {
            client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        }

        await client.FlushAsync();
        recorder.Calls.Should().ContainSingle().Which.UserId.Should().BeNull();

        var act = () => recorder.GetUserAttributes(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("userId");
    }

    [Fact]
    public async Task GetUserAttributes_NothingSentForTheUser_IndexerSaysSoAndAsksForAFlush()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient();
        client.Customers.Update("u-1", new Dictionary<string, object?> { ["plan"] = "secret-plan" });

        // No FlushAsync yet, the usual slip: what was called may not have been sent.
        var act = () => recorder.GetUserAttributes("u-2")["plan"];

        act.Should().Throw<KeyNotFoundException>()
            .Which.Message.Should().Contain("'u-2'").And.Contain("FlushAsync").And.NotContain("secret-plan");
    }

    [Fact]
    public async Task GetUserAttributes_AttributeNotSent_IndexerNamesTheAttributesSentWithoutTheirValues()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient();
        client.Customers.Update("u-1", new Dictionary<string, object?> { ["plan"] = "secret-plan", ["region"] = "secret-region" });
        await client.FlushAsync();

        var act = () => recorder.GetUserAttributes("u-1")["Plan"];

        act.Should().Throw<KeyNotFoundException>()
            .Which.Message.Should().Contain("'Plan'").And.Contain("'u-1'").And.Contain("plan, region")
            .And.NotContain("secret");
    }

    [Fact]
    public async Task GetUserAttributes_ComparedWithAnExpectedDictionaryByAssertEqual_IgnoresTheOrderAsADictionaryDoes()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "free", ["region"] = "Mumbai" });
        await client.FlushAsync();

        // xunit compares two dictionaries by their entries, whatever their order; two plain sequences in order.
        Assert.Equal(new Dictionary<string, string> { ["region"] = "Mumbai", ["plan"] = "free" }, recorder.GetUserAttributes("u-1"));
    }

    [Fact]
    public async Task GetUserAttributes_CallsForTheUserWithoutAttributes_IndexerSaysTheyCarriedNone()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        client.User.Identify("u-1");
        await client.FlushAsync();

        var act = () => recorder.GetUserAttributes("u-1")["plan"];

        act.Should().Throw<KeyNotFoundException>()
            .Which.Message.Should().Contain("'plan'").And.Contain("'u-1'").And.Contain("1 recorded call(s)").And.Contain("no attributes")
            .And.NotContain("no recorded call carried");
    }

    [Fact]
    public async Task HttpClient_RestCustomerRequest_IsRecordedAsAnUpsertAndAnsweredWithSuccess()
    {
        using var recorder = new GrowlyticsRecorder();
        const string Body = """{"id":"c-7","attributes":[{"name":"plan","type":"string","value":"pro"},{"name":"seats","type":"number","value":12}]}""";

        using var response = await recorder.HttpClient.PostAsync(
            new Uri("https://growlytics.test/rest-api/customer"), new StringContent(Body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("""{"success":true}""");
        var call = recorder.Calls.Should().ContainSingle().Subject;
        call.Type.Should().Be(RecordedCallType.CustomerUpsert);
        call.UserId.Should().Be("c-7");
        call.AnonymousId.Should().BeNull();
        call["seats"].Should().Be("12");
        recorder.GetUserAttributes("c-7").Should().Equal(new Dictionary<string, string> { ["plan"] = "pro", ["seats"] = "12" });
    }

    [Fact]
    public async Task HttpClient_UnknownPath_AnswersNotFoundAndRecordsNothing()
    {
        using var recorder = new GrowlyticsRecorder();

        using var response = await recorder.HttpClient.PostAsync(new Uri("https://growlytics.test/somewhere"), new StringContent("{}"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        recorder.Calls.Should().BeEmpty();
    }

    [Fact]
    public void CreateClient_AfterDispose_ThrowsInsteadOfReturningAClientThatDropsEveryCall()
    {
        var recorder = new GrowlyticsRecorder();
        recorder.Dispose();

        // Such a client could not send: every call would be counted dropped and a test would only see "nothing recorded".
        var act = () => recorder.CreateClient();

        act.Should().Throw<ObjectDisposedException>().WithMessage("*GrowlyticsRecorder*");
    }

    [Fact]
    public async Task Clear_AfterCalls_ForgetsThem()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        client.User.Identify("u-1");
        await client.FlushAsync();
        recorder.Calls.Should().NotBeEmpty();

        recorder.Clear();

        recorder.Calls.Should().BeEmpty();
    }
}
