namespace FastRaft.Sample.Cli;

/// <summary>Where a node's (or a membership client's) cluster key comes from: <c>--key-file</c>, else <see cref="ClusterKeyFile.EnvironmentVariable"/>, else nowhere, which is refused unless <c>--insecure-no-auth</c>.</summary>
internal static class KeySelection
{
    /// <summary>
    /// Finds the key. True with a key, or with null when the options say to run without one;
    /// false with a one-line <paramref name="error"/>. Warnings (a key file others can read) go to
    /// <paramref name="errors"/>.
    /// </summary>
    /// <param name="environmentValue">The value of <see cref="ClusterKeyFile.EnvironmentVariable"/> (null when unset).</param>
    public static bool TryResolve(SampleOptions options, string? environmentValue, TextWriter errors, out byte[]? key, out string source, out string error)
    {
        key = null;
        source = "";
        error = "";
        bool fromEnvironment = !string.IsNullOrEmpty(environmentValue);
        if (options.InsecureNoAuthentication)
        {
            if (fromEnvironment)
            {
                error = $"{ClusterKeyFile.EnvironmentVariable} is set and --insecure-no-auth is given: unset one of them";
                return false;
            }
            source = "none (--insecure-no-auth)";
            return true;
        }
        if (options.KeyFile is string path)
        {
            if (!ClusterKeyFile.TryRead(path, out byte[] read, out error))
            {
                return false;
            }
            if (ClusterKeyFile.TryGetPermissionWarning(path, out string warning))
            {
                errors.WriteLine(warning);
            }
            key = read;
            source = $"key file {path}";
            return true;
        }
        if (fromEnvironment)
        {
            if (!ClusterKeyFile.TryParse(environmentValue!, out byte[] parsed, out string problem))
            {
                error = $"{ClusterKeyFile.EnvironmentVariable}: {problem}";
                return false;
            }
            key = parsed;
            source = $"environment variable {ClusterKeyFile.EnvironmentVariable}";
            return true;
        }
        error = $"no cluster key: pass --key-file PATH (make one with --gen-key PATH) or set {ClusterKeyFile.EnvironmentVariable}; "
            + "--insecure-no-auth runs without authentication";
        return false;
    }
}
