using StackHooks.Cli.Pulumi;

namespace StackHooks.Cli.Tests.Unit;

public class ProjectFileTests
{
    [Theory]
    [InlineData("name: shop\nruntime: nodejs\n", "shop")]
    [InlineData("runtime:\n  name: nodejs\nname: \"shop\"\n", "shop")]
    [InlineData("name: 'shop' # the project\n", "shop")]
    [InlineData("name: shop # the project\r\n", "shop")]
    [InlineData("description: a name: here\n", null)]
    [InlineData("name:\n", null)]
    public void ReadsTheTopLevelName(string yaml, string? expected) => Assert.Equal(expected, ProjectFile.ReadName(yaml));

    [Fact]
    public void TheProjectIsFoundInTheFolderOrAbove()
    {
        var root = Directory.CreateTempSubdirectory("stackhooks-project-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "Pulumi.yml"), "name: shop\n");
            var nested = Directory.CreateDirectory(Path.Combine(root, "src", "lib")).FullName;

            Assert.Equal("shop", ProjectFile.FindProjectName(nested));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void TheRunnerFindsAProjectFolderByName()
    {
        var root = Directory.CreateTempSubdirectory("stackhooks-projects-").FullName;
        try
        {
            Write(root, "infra/network", "name: network\n");
            Write(root, "infra/shop", "name: shop\n");
            Write(root, "node_modules/shop", "name: shop\n");
            Write(root, ".git/shop", "name: shop\n");

            Assert.Equal(Path.Combine(root, "infra", "shop"), ProjectFile.FindProjectFolder(root, "shop"));
            Assert.Null(ProjectFile.FindProjectFolder(root, "billing"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        static void Write(string root, string folder, string yaml)
        {
            var directory = Directory.CreateDirectory(Path.Combine(root, folder)).FullName;
            File.WriteAllText(Path.Combine(directory, "Pulumi.yaml"), yaml);
        }
    }
}
