using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackHooks.Accounts;
using StackHooks.Api;
using StackHooks.Delivery;
using StackHooks.Events;
using StackHooks.Security;
using StackHooks.Storage;

namespace StackHooks.Webhooks;

/// <summary>
/// The eight webhook operations of SPEC §2, mapped once per scope. The route decides the scope; a group filter checks
/// membership (admins for organization hooks) and that the stack or environment exists before any handler runs.
/// </summary>
public static class WebhooksApi
{
    /// <summary>First path segments the seed's alias <c>/api/{org}/{project}/{stack}/hooks</c> must not capture.</summary>
    private const string AliasOrg = "{org:regex(^(?!(orgs|stacks|esc|preview|user|users|capabilities)$)[A-Za-z0-9][A-Za-z0-9._-]{{0,99}}$)}";

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        MapScope(app.MapGroup("/api/orgs/{org}/hooks"), "Organization", "Organization webhooks");
        MapScope(app.MapGroup("/api/stacks/{org}/{project}/{stack}/hooks"), "Stack", "Stack webhooks");
        MapScope(app.MapGroup("/api/esc/environments/{org}/{project}/{env}/hooks"), "Environment", "Environment webhooks");

        // Paths clients use besides the canonical ones: the REST docs' stack DELETE example and ESC's legacy preview path.
        MapScope(app.MapGroup($"/api/{AliasOrg}/{{project}}/{{stack}}/hooks").ExcludeFromDescription(), "StackAlias", "Stack webhooks");
        MapScope(app.MapGroup("/api/preview/environments/{org}/{env}/hooks").ExcludeFromDescription(), "LegacyEnvironment", "Environment webhooks");
        return app;
    }

    private static void MapScope(RouteGroupBuilder group, string scopeName, string tag)
    {
        group.RequireAuthorization().AddEndpointFilter(CheckScope).WithTags(tag);
        group.MapGet("", List).WithName($"List{scopeName}Webhooks")
            .WithSummary("Lists the webhooks; ?limit= pages the list and X-Continuation-Token names the next page.");
        group.MapPost("", Create).WithName($"Create{scopeName}Webhook");
        group.MapGet("/{hook}", Get).WithName($"Get{scopeName}Webhook");
        group.MapPatch("/{hook}", Update).WithName($"Update{scopeName}Webhook")
            .WithSummary("Updates the webhook; fields absent from the body keep their value. \"secret\": \"__remove-secret\" removes the secret.");
        group.MapDelete("/{hook}", Delete).WithName($"Delete{scopeName}Webhook");
        DeliveriesApi.MapDeliveries(group, scopeName);
    }

    private static async ValueTask<object?> CheckScope(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var scope = WebhookScope.FromRoute(http);
        var denied = await Access.CheckAsync(http, scope.Org, scope.Kind == WebhookScopeKind.Organization ? OrgRole.Admin : OrgRole.Member);
        if (denied is not null)
        {
            return denied;
        }

        var database = http.RequestServices.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync(http.RequestAborted);
        return await scope.CheckExistsAsync(connection) ?? await next(context);
    }

    public static async Task<Results<Ok<List<WebhookResponse>>, ApiError>> List(
        WebhookScope scope, string? continuationToken, string? limit, HttpResponse response, Database database, CancellationToken ct)
    {
        int? pageSize = null;
        if (limit is not null)
        {
            if (!int.TryParse(limit, out var parsed) || parsed is < 1 or > 1000)
            {
                return ApiError.BadRequest("Query parameter 'limit' must be a whole number from 1 to 1000.");
            }

            pageSize = parsed;
        }

        string? after = null;
        if (!string.IsNullOrEmpty(continuationToken))
        {
            after = DecodeToken(continuationToken);
            if (after is null)
            {
                return ApiError.BadRequest("Query parameter 'continuationToken' is not a token this server gave out.");
            }
        }

        await using var connection = await database.OpenAsync(ct);
        var page = await WebhookStore.ListAsync(connection, scope, after, pageSize + 1);
        if (pageSize is { } size && page.Count > size)
        {
            page.RemoveAt(size);
            response.Headers["X-Continuation-Token"] = EncodeToken(page[^1].Name);
        }

        return TypedResults.Ok(page.Select(w => w.ToResponse()).ToList());
    }

    public static async Task<Results<Created<WebhookResponse>, ApiError>> Create(
        WebhookScope scope, WebhookRequest? body, Database database, SecretBox secrets, IOptions<WebhookOptions> options, TimeProvider time, CancellationToken ct)
    {
        if (body is null)
        {
            return ApiError.BadRequest("A JSON request body is required.");
        }

        var format = string.IsNullOrEmpty(body.Format) ? WebhookFormats.Raw : body.Format;
        await using var connection = await database.OpenAsync(ct);
        var displayName = "";
        string[] filters = [], groups = [];
        var invalid = WebhookValidation.CheckPath(body, scope, creating: true)
            ?? WebhookValidation.CheckDisplayName(body.DisplayName, out displayName)
            ?? (body.Active is null ? ApiError.BadRequest("Field 'active' is required (true or false).") : null)
            ?? WebhookValidation.CheckFormat(format, scope)
            ?? await WebhookValidation.CheckPayloadUrlAsync(body.PayloadUrl, format, scope, options.Value, connection)
            ?? WebhookValidation.CheckFilters(body.Filters ?? [], scope, out filters)
            ?? WebhookValidation.CheckGroups(body.Groups ?? [], scope, out groups)
            ?? WebhookValidation.CheckSecret(body.Secret ?? "");
        if (invalid is not null)
        {
            return invalid;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var webhook = new Webhook
        {
            Id = Ids.New(),
            OrgName = scope.Org,
            Scope = scope.StorageName,
            ProjectName = scope.Project,
            TargetName = scope.Target,
            DisplayName = displayName,
            PayloadUrl = body.PayloadUrl!.Trim(),
            Active = body.Active!.Value,
            Format = format,
            Filters = filters,
            Groups = groups,
            CreatedAt = now,
            UpdatedAt = now,
        };
        SetSecret(webhook, body.Secret, secrets);

        await using var write = await database.BeginWriteAsync(connection, ct);

        var transaction = write.Transaction;
        await database.SerializeAsync(connection, transaction, $"webhook:{scope.Org}/{scope.StorageName}/{scope.Project}/{scope.Target}");
        if (string.IsNullOrEmpty(body.Name))
        {
            webhook.Name = await WebhookStore.NewNameAsync(connection, transaction, scope);
        }
        else if (await WebhookStore.NameTakenAsync(connection, transaction, scope, body.Name))
        {
            return ApiError.Conflict($"Webhook with name {body.Name} already exists.");
        }
        else
        {
            webhook.Name = body.Name;
        }

        await WebhookStore.InsertAsync(connection, transaction, webhook);
        await transaction.CommitAsync(ct);
        return TypedResults.Created(ResourcePath(scope, webhook.Name), webhook.ToResponse());
    }

    public static async Task<Results<Ok<WebhookResponse>, ApiError>> Get(WebhookScope scope, string hook, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var webhook = await WebhookStore.FindAsync(connection, scope, hook);
        return webhook is null ? WebhookNotFound(scope, hook) : TypedResults.Ok(webhook.ToResponse());
    }

    public static async Task<Results<Ok<WebhookResponse>, ApiError>> Update(
        WebhookScope scope, string hook, WebhookRequest? body, Database database, SecretBox secrets, IOptions<WebhookOptions> options,
        DeliverySignal signal, TimeProvider time, CancellationToken ct)
    {
        if (body is null)
        {
            return ApiError.BadRequest("A JSON request body is required.");
        }

        await using var connection = await database.OpenAsync(ct);
        var webhook = await WebhookStore.FindAsync(connection, scope, hook);
        if (webhook is null)
        {
            return WebhookNotFound(scope, hook);
        }

        var format = string.IsNullOrEmpty(body.Format) ? webhook.Format : body.Format;
        var displayName = webhook.DisplayName;
        var filters = webhook.Filters;
        var groups = webhook.Groups;
        var invalid = WebhookValidation.CheckPath(body, scope, creating: false, pathName: hook)
            ?? (body.DisplayName is null ? null : WebhookValidation.CheckDisplayName(body.DisplayName, out displayName))
            ?? WebhookValidation.CheckFormat(format, scope)
            ?? (body.PayloadUrl is null && format == webhook.Format
                ? null
                : await WebhookValidation.CheckPayloadUrlAsync(body.PayloadUrl ?? webhook.PayloadUrl, format, scope, options.Value, connection))
            ?? (body.Filters is null ? null : WebhookValidation.CheckFilters(body.Filters, scope, out filters))
            ?? (body.Groups is null ? null : WebhookValidation.CheckGroups(body.Groups, scope, out groups))
            ?? (body.Secret is null or WebhookValidation.RemoveSecret ? null : WebhookValidation.CheckSecret(body.Secret));
        if (invalid is not null)
        {
            return invalid;
        }

        webhook.DisplayName = displayName;
        webhook.Format = format;
        webhook.PayloadUrl = body.PayloadUrl?.Trim() ?? webhook.PayloadUrl;
        webhook.Active = body.Active ?? webhook.Active;
        webhook.Filters = filters;
        webhook.Groups = groups;
        if (body.Secret == WebhookValidation.RemoveSecret)
        {
            webhook.SecretEncrypted = null;
            webhook.SecretSha256 = "";
        }
        else if (!string.IsNullOrEmpty(body.Secret))
        {
            SetSecret(webhook, body.Secret, secrets);
        }

        webhook.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var write = await database.BeginWriteAsync(connection, ct);
        var transaction = write.Transaction;
        await WebhookStore.UpdateAsync(connection, transaction, webhook);
        await transaction.CommitAsync(ct);
        signal.WebhooksChanged();
        return TypedResults.Ok(webhook.ToResponse());
    }

    public static async Task<Results<NoContent, ApiError>> Delete(
        WebhookScope scope, string hook, Database database, DeliverySignal signal, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using (var write = await database.BeginWriteAsync(connection, ct))
        {
            if (!await WebhookStore.DeleteAsync(connection, write.Transaction, scope, hook))
            {
                return WebhookNotFound(scope, hook);
            }

            await write.CommitAsync(ct);
        }

        signal.WebhooksChanged();
        return TypedResults.NoContent();
    }

    private static void SetSecret(Webhook webhook, string? secret, SecretBox secrets)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        webhook.SecretEncrypted = secrets.Encrypt(secret);
        webhook.SecretSha256 = SecretBox.Fingerprint(secret);
    }

    private static ApiError WebhookNotFound(WebhookScope scope, string hook) => ApiError.NotFound($"Webhook '{hook}' not found in {scope}.");

    private static string ResourcePath(WebhookScope scope, string name) => scope.Kind switch
    {
        WebhookScopeKind.Organization => $"/api/orgs/{scope.Org}/hooks/{name}",
        WebhookScopeKind.Stack => $"/api/stacks/{scope.Org}/{scope.Project}/{scope.Target}/hooks/{name}",
        _ => $"/api/esc/environments/{scope.Org}/{scope.Project}/{scope.Target}/hooks/{name}",
    };

    private static string EncodeToken(string lastName) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastName));

    private static string? DecodeToken(string token)
    {
        try
        {
            var name = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            return Names.IsValidWebhookName(name) ? name : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
