using System.Data.Common;

namespace StackHooks.Storage;

/// <summary>
/// A transaction begun by <see cref="Database.BeginWriteAsync"/>; on SQLite it also holds the process's write turn, which
/// disposing it gives up (after the transaction is rolled back if it was not committed).
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly SemaphoreSlim? turn;

    internal WriteTransaction(DbTransaction transaction, SemaphoreSlim? turn)
    {
        Transaction = transaction;
        this.turn = turn;
    }

    /// <summary>What Dapper's and the stores' <c>transaction</c> parameters take.</summary>
    public DbTransaction Transaction { get; }

    public Task CommitAsync(CancellationToken cancellationToken = default) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
        }
        finally
        {
            turn?.Release();
        }
    }
}
