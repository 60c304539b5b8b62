using System.Reflection;
using System.Runtime.CompilerServices;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// What one idle replica holds on its own (<c>idle-groups --walk</c>): the objects reachable from
/// one replica's agent that are not reachable from another group's replica on the same node
/// (so the host, runner, hub and options they share are left out), summed by type. Sizes are
/// estimates from the field layout (header, fields, array elements), not the GC's own figures.
/// </summary>
internal static class HeapWalk
{
    public static void Print(object replica, object otherGroupsReplica, int top = 200)
    {
        HashSet<object> shared = Reach(otherGroupsReplica);
        var sizes = new Dictionary<string, (long Bytes, int Count)>();
        long total = 0;
        int objects = 0;
        foreach (object o in Reach(replica))
        {
            if (shared.Contains(o))
            {
                continue;
            }
            long size = SizeOf(o);
            total += size;
            objects++;
            string name = Name(o.GetType());
            sizes[name] = sizes.TryGetValue(name, out var s) ? (s.Bytes + size, s.Count + 1) : (size, 1);
        }
        Console.WriteLine($"  one replica holds {objects} objects of its own, about {total} B:");
        foreach (var (name, (bytes, count)) in sizes.OrderByDescending(static kv => kv.Value.Bytes).Take(top))
        {
            Console.WriteLine($"    {bytes,7} B  {count,4} x {name}");
        }
    }

    private static HashSet<object> Reach(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<object>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            object o = stack.Pop();
            if (!seen.Add(o))
            {
                continue;
            }
            Type t = o.GetType();
            if (t.IsArray)
            {
                Type e = t.GetElementType()!;
                if (!e.IsPrimitive && !e.IsEnum && !e.IsPointer)
                {
                    foreach (object? item in (Array)o)
                    {
                        if (item is not null)
                        {
                            PushFields(item, stack, e.IsValueType);
                        }
                    }
                }
                continue;
            }
            if (IsBoundary(t))
            {
                continue;
            }
            if (o is string || o is Type || o is Delegate { Target: null } || t.Namespace?.StartsWith("System.Reflection", StringComparison.Ordinal) == true)
            {
                continue;
            }
            PushFields(o, stack, false);
        }
        return seen;
    }

    /// <summary>What every group of a process shares by design: the walk does not go through them.</summary>
    private static bool IsBoundary(Type t) =>
        t.Name is "CompositeAgentRunner" or "GroupTransportHub" or "RaftGroupHost" or "Thread" or "RaftGroupHostOptions" or "SignalWaitSource"
        || t.Name.StartsWith("CompositeAgentRunner", StringComparison.Ordinal);

    private static void PushFields(object o, Stack<object> stack, bool boxedStruct)
    {
        Type t = o.GetType();
        if (!boxedStruct && !t.IsValueType)
        {
            stack.Push(o);
        }
        for (Type? c = t; c is not null; c = c.BaseType)
        {
            foreach (FieldInfo f in c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (f.FieldType.IsPrimitive || f.FieldType.IsEnum || f.FieldType.IsPointer || f.FieldType.IsByRefLike)
                {
                    continue;
                }
                object? v;
                try
                {
                    v = f.GetValue(o);
                }
                catch (Exception)
                {
                    continue;
                }
                if (v is null)
                {
                    continue;
                }
                if (f.FieldType.IsValueType)
                {
                    PushFields(v, stack, true);
                }
                else
                {
                    stack.Push(v);
                }
            }
        }
    }

    private static long SizeOf(object o)
    {
        Type t = o.GetType();
        if (o is string s)
        {
            return 22 + (2L * s.Length);
        }
        if (o is Array a)
        {
            Type e = t.GetElementType()!;
            int element = e.IsValueType ? ValueSize(e) : IntPtr.Size;
            return 24 + ((long)a.Length * element);
        }
        return Math.Max(24, 16 + InstanceFieldsSize(t));
    }

    private static int InstanceFieldsSize(Type t)
    {
        int size = 0;
        for (Type? c = t; c is not null; c = c.BaseType)
        {
            foreach (FieldInfo f in c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                size += f.FieldType.IsValueType ? ValueSize(f.FieldType) : IntPtr.Size;
            }
        }
        return size;
    }

    private static int ValueSize(Type t)
    {
        try
        {
            return (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;
        }
        catch (Exception)
        {
            return 8;
        }
    }

    private static string Name(Type t)
    {
        if (!t.IsGenericType)
        {
            return t.IsArray ? Name(t.GetElementType()!) + "[]" : t.Name;
        }
        string n = t.Name;
        int tick = n.IndexOf('`', StringComparison.Ordinal);
        return (tick > 0 ? n[..tick] : n) + "<" + string.Join(",", t.GetGenericArguments().Select(Name)) + ">";
    }
}
