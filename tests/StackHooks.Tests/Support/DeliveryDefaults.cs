using StackHooks.Delivery;

namespace StackHooks.Tests.Support;

/// <summary>The delivery settings tests run with when they leave them at their defaults, read from the code, not repeated.</summary>
internal static class DeliveryDefaults
{
    /// <summary>StackHooks:Delivery:MaxConcurrencyPerWebhook: attempts in flight at once to one webhook.</summary>
    public static readonly int PerWebhook = new DeliveryOptions().MaxConcurrencyPerWebhook;
}
