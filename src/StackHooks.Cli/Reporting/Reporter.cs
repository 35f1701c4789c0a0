using System.Text.Json.Nodes;

namespace StackHooks.Cli.Reporting;

/// <summary>What became of a batch of requests.</summary>
public sealed record ReportResult(int Sent, int Spooled, int Refused);

/// <summary>What a flush of the spool did, and what is left in it.</summary>
public sealed record FlushResult(int Sent, int Refused, int Remaining);

/// <summary>
/// Sends what a run records so that no outcome is lost (SPEC §10): each request is retried with backoff while it fails for a
/// reason that may pass (no connection, timeout, 5xx, 429) until the report deadline; what still could not be sent goes to
/// the <see cref="Spool"/> with a warning, to be sent first by the next run. A refusal (another 4xx) is printed as an error
/// and not kept: sending it again would be refused again.
/// </summary>
public sealed class Reporter(StackHooksClient client, Connection connection, Spool spool, OrganizationResolver organizations, Messages messages)
{
    private static readonly TimeSpan MaxAttemptTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Sends <paramref name="requests"/> in order within the report timeout; spools what could not be sent.</summary>
    public async Task<ReportResult> SendAsync(IReadOnlyList<PendingRequest> requests, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var deadline = DateTimeOffset.UtcNow + connection.ReportTimeout;
        int sent = 0, refused = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            var (answer, resolved) = await SendWithRetriesAsync(request, deadline, ct);
            switch (answer.Kind)
            {
                case AnswerKind.Success:
                    sent++;
                    Announce(resolved, answer);
                    break;
                case AnswerKind.Rejected:
                    refused++;
                    messages.Error(answer.Status == 0
                        ? $"could not record {request.Description}: {answer.Problem}"
                        : $"the server refused {request.Description}: {answer.Problem}{Hint(answer.Status)}");
                    if (StackHooksClient.IsAuthenticationProblem(answer.Status) || answer.Status == 0)
                    {
                        var rest = requests.Count - i - 1;
                        if (rest > 0)
                        {
                            messages.Error($"{rest} more not recorded: fix the token or organization (STACKHOOKS_TOKEN, --org) and run again");
                        }

                        return new ReportResult(sent, 0, refused + rest);
                    }

                    break;
                default:
                    var spooled = requests.Skip(i).Select((r, n) => spool.Save(n == 0 ? resolved : OrganizationOf(r, resolved), connection.ServerUrl)).ToList();
                    messages.Warning(
                        $"could not reach StackHooks at {connection.ServerUrl} ({answer.Problem}); {spooled.Count} event(s) saved in {spool.Directory}, " +
                        "to be sent by the next stackhooks run, runner or flush");
                    return new ReportResult(sent, spooled.Count, refused);
            }
        }

        return new ReportResult(sent, 0, refused);
    }

    /// <summary>Sends one request now, with retries until the report timeout, without spooling it.</summary>
    public async Task<Answer> SendNowAsync(PendingRequest request, CancellationToken ct) =>
        (await SendWithRetriesAsync(request, DateTimeOffset.UtcNow + connection.ReportTimeout, ct)).Answer;

    /// <summary>
    /// Sends the spooled requests to the server, oldest first, each with its own idempotency key, until they are all sent,
    /// the server cannot be reached (the rest stay for next time) or <paramref name="budget"/> is spent.
    /// </summary>
    public async Task<FlushResult> FlushSpoolAsync(TimeSpan budget, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + budget;
        int sent = 0, refused = 0;
        foreach (var file in spool.Files())
        {
            using var lease = spool.TryTake(file, moved => messages.Warning($"{file} is not a spool entry; moved it to {moved}"));
            if (lease is null)
            {
                continue;
            }

            var (answer, request) = await SendWithRetriesAsync(lease.Entry.Request, deadline, ct);
            if (answer.Kind == AnswerKind.Success)
            {
                lease.Complete();
                sent++;
                Announce(request, answer, spooled: true);
            }
            else if (answer.Kind == AnswerKind.Rejected && !StackHooksClient.IsAuthenticationProblem(answer.Status) && answer.Status != 0)
            {
                refused++;
                messages.Error($"the server refused spooled {request.Description}: {answer.Problem}; moved it to {lease.Reject()}");
            }
            else
            {
                // Unreachable, or a token problem that the next run (with a better token) can get past: keep it and the rest.
                messages.Warning($"spooled events not sent yet: {answer.Problem}");
                break;
            }
        }

        return new FlushResult(sent, refused, spool.Files().Count);
    }

    private async Task<(Answer Answer, PendingRequest Request)> SendWithRetriesAsync(PendingRequest request, DateTimeOffset deadline, CancellationToken ct)
    {
        var delay = FirstDelay;
        while (true)
        {
            Answer answer;
            if (request.Organization is null)
            {
                var org = await organizations.FromServerAsync(AttemptTimeout(deadline), ct);
                answer = org.Organization is not null
                    ? await AttemptAsync(request = request.WithOrganization(org.Organization), deadline, ct)
                    : new Answer(org.Kind, 0, "", org.Problem ?? "no organization");
            }
            else
            {
                answer = await AttemptAsync(request, deadline, ct);
            }

            if (answer.Kind != AnswerKind.Transient)
            {
                return (answer, request);
            }

            var wait = answer.RetryAfter is { } retryAfter && retryAfter > delay ? retryAfter : Jitter(delay);
            if (DateTimeOffset.UtcNow + wait >= deadline)
            {
                return (answer, request);
            }

            await Task.Delay(wait, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }

    private async Task<Answer> AttemptAsync(PendingRequest request, DateTimeOffset deadline, CancellationToken ct)
    {
        var answer = await client.SendAsync(request.Method, request.PathFor(request.Organization!), request.Body, request.IdempotencyKey, AttemptTimeout(deadline), ct);
        return answer.Kind == AnswerKind.Rejected && request.AlsoDone.Contains(answer.Status) ? answer with { Kind = AnswerKind.Success } : answer;
    }

    private static TimeSpan AttemptTimeout(DateTimeOffset deadline)
    {
        var left = deadline - DateTimeOffset.UtcNow;
        return left < MinAttemptTimeout ? MinAttemptTimeout : left > MaxAttemptTimeout ? MaxAttemptTimeout : left;
    }

    private static string Hint(int status) => status switch
    {
        401 => " (check STACKHOOKS_TOKEN)",
        403 => " (the token's user must be a member of the organization; the runner's, an admin)",
        _ => "",
    };

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + (Random.Shared.NextDouble() * 0.4));

    private static PendingRequest OrganizationOf(PendingRequest request, PendingRequest resolved) =>
        request.Organization is null && resolved.Organization is not null ? request.WithOrganization(resolved.Organization) : request;

    private void Announce(PendingRequest request, Answer answer, bool spooled = false)
    {
        var org = request.Organization ?? "";
        var from = spooled ? " (from the spool)" : "";
        if (request.AlsoDone.Contains(answer.Status))
        {
            return; // the stack already existed, or was already gone: nothing new
        }

        var deliveries = answer.Json is JsonObject body && body["deliveries"] is JsonValue count && count.TryGetValue<int>(out var n)
            ? $", {n} webhook deliver{(n == 1 ? "y" : "ies")}"
            : "";
        messages.Info($"recorded {request.Description} in {org}{from}{deliveries}");
    }
}
