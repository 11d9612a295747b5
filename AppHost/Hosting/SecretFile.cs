namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>A secret kept in a file of the data folder, readable by its owner only from the moment it exists.</summary>
public static class SecretFile
{
    public static string LoadOrCreate(string path, Func<string> generate)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var value = generate();
        Write(path, value + "\n");
        return value;
    }

    public static void Write(string path, string contents)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(file);
        writer.Write(contents);
    }
}
