using Microsoft.Extensions.Options;

namespace FastRaft.Extensions.Hosting;

/// <summary>Checks the node's settings when the host starts, reporting every problem with its configuration key.</summary>
internal sealed class FastRaftSettingsValidation(string prefix) : IValidateOptions<FastRaftNodeSettings>
{
    public string Prefix => prefix;

    public ValidateOptionsResult Validate(string? name, FastRaftNodeSettings options)
    {
        var problems = new List<string>();
        NodeSettingsReader.TryResolve(options, prefix, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>The resolved settings, or an <see cref="OptionsValidationException"/> listing every problem.</summary>
    public ResolvedNodeSettings Resolve(FastRaftNodeSettings options)
    {
        var problems = new List<string>();
        return NodeSettingsReader.TryResolve(options, prefix, problems)
            ?? throw new OptionsValidationException(Options.DefaultName, typeof(FastRaftNodeSettings), problems);
    }
}
