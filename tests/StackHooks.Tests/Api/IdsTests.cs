using StackHooks.Storage;

namespace StackHooks.Tests.Api;

public sealed class IdsTests
{
    [Fact]
    public void IdsMadeInARowSortInTheOrderTheyWereMadeEvenWithinOneMillisecond()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => Ids.New()).ToList();
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void IdsAreVersion7UuidsWithTheRfcVariant()
    {
        var id = Guid.Parse(Ids.New());
        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
    }
}
