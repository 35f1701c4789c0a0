using StackHooks;
using StackHooks.Accounts;
using StackHooks.Deployments;
using StackHooks.Events;
using StackHooks.Stacks;
using StackHooks.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.AddStackHooks();

var app = builder.Build();
await app.InitializeAsync();
app.UseStackHooks();
app.MapOperations();
app.MapAccounts();
app.MapStacks();
app.MapEnvironments();
app.MapWebhooks();
app.MapEvents();
app.MapDeployments();
app.Run();
