namespace FastRaft.Conformance.DataDriven;

/// <summary>
/// Parses datadriven scripts (the format of cockroachdb/datadriven used by etcd raft):
/// <code>
/// # comment
/// cmd arg key=val key=(a,b,c)
/// optional input lines
/// ----
/// expected output, up to the next blank line
/// </code>
/// A doubled separator (<c>----</c> twice) allows blank lines in the output; it then ends at
/// the next doubled separator.
/// </summary>
public static class ScriptParser
{
    private const string Separator = "----";

    public static List<TestCase> ParseFile(string path) => Parse(path, File.ReadAllText(path));

    public static List<TestCase> Parse(string fileName, string text)
    {
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var cases = new List<TestCase>();
        int i = 0;
        while (i < lines.Length)
        {
            string line = lines[i];
            if (line.Trim().Length == 0 || line.StartsWith('#'))
            {
                i++;
                continue;
            }

            int cmdLine = i + 1;
            string command = line;
            i++;
            // A trailing backslash continues the command on the next line.
            while (command.EndsWith('\\') && i < lines.Length)
            {
                command = command[..^1] + " " + lines[i].Trim();
                i++;
            }

            var input = new List<string>();
            while (i < lines.Length && lines[i] != Separator)
            {
                input.Add(lines[i]);
                i++;
            }
            if (i >= lines.Length)
            {
                throw new DataDrivenException($"{fileName}:{cmdLine}: command without a {Separator} line: {command}");
            }
            i++; // past ----

            var expected = new List<string>();
            if (i < lines.Length && lines[i] == Separator)
            {
                // Doubled separator: read until the closing pair.
                i++;
                while (i < lines.Length && !(lines[i] == Separator && i + 1 < lines.Length && lines[i + 1] == Separator))
                {
                    expected.Add(lines[i]);
                    i++;
                }
                if (i >= lines.Length)
                {
                    throw new DataDrivenException($"{fileName}:{cmdLine}: unterminated doubled {Separator} block");
                }
                i += 2;
            }
            else
            {
                while (i < lines.Length && lines[i].Length != 0)
                {
                    expected.Add(lines[i]);
                    i++;
                }
            }

            (string cmd, List<CmdArg> args) = ParseCommand(fileName, cmdLine, command);
            string expectedText = expected.Count == 0 ? "" : string.Join('\n', expected) + "\n";
            string inputText = string.Join('\n', input);
            cases.Add(new TestCase(fileName, cmdLine, cmd, args, inputText, expectedText) { CommandLine = command });
        }
        return cases;
    }

    /// <summary>Splits a command line into the command and its arguments; parentheses group values.</summary>
    public static (string Cmd, List<CmdArg> Args) ParseCommand(string fileName, int line, string command)
    {
        var tokens = new List<string>();
        int depth = 0;
        int start = -1;
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
                if (depth < 0)
                {
                    throw new DataDrivenException($"{fileName}:{line}: unbalanced ')' in: {command}");
                }
            }
            bool space = c is ' ' or '\t';
            if (space && depth == 0)
            {
                if (start >= 0)
                {
                    tokens.Add(command[start..i]);
                    start = -1;
                }
            }
            else if (start < 0)
            {
                start = i;
            }
        }
        if (depth != 0)
        {
            throw new DataDrivenException($"{fileName}:{line}: unbalanced '(' in: {command}");
        }
        if (start >= 0)
        {
            tokens.Add(command[start..]);
        }
        if (tokens.Count == 0)
        {
            throw new DataDrivenException($"{fileName}:{line}: empty command");
        }

        var args = new List<CmdArg>(tokens.Count - 1);
        for (int t = 1; t < tokens.Count; t++)
        {
            args.Add(ParseArg(tokens[t]));
        }
        return (tokens[0], args);
    }

    private static CmdArg ParseArg(string token)
    {
        int eq = token.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0)
        {
            return new CmdArg(token, []);
        }
        string key = token[..eq];
        string val = token[(eq + 1)..];
        if (val.StartsWith('(') && val.EndsWith(')'))
        {
            string inner = val[1..^1];
            if (inner.Trim().Length == 0)
            {
                return new CmdArg(key, []);
            }
            string[] parts = inner.Split(',');
            var vals = new List<string>(parts.Length);
            foreach (string p in parts)
            {
                vals.Add(p.Trim());
            }
            return new CmdArg(key, vals);
        }
        return new CmdArg(key, [val]);
    }
}
