using FastRaft.Hosting;
using FastRaft.Hosting.Building;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastRaft.Extensions.Hosting;

/// <summary>Registers a FastRaft node with a .NET Generic Host.</summary>
public static class FastRaftServiceCollectionExtensions
{
    /// <summary>
    /// Registers a Raft node configured by <paramref name="configuration"/> (a section bound to
    /// <see cref="FastRaftNodeSettings"/>, e.g. <c>builder.Configuration.GetSection("FastRaft")</c>):
    /// the <see cref="RaftNode{TResult}"/> as a singleton to inject where requests are made, and a
    /// hosted service that starts it with the host and stops it gracefully when the host stops.
    /// The settings are checked when the host starts; an <see cref="OptionsValidationException"/>
    /// lists every problem with its configuration key (e.g. <c>FastRaft:NodeId</c>).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration section holding the node's settings.</param>
    /// <param name="stateMachine">Makes the node's state machine (called once, when the node is built).</param>
    /// <exception cref="InvalidOperationException">A node is already registered in <paramref name="services"/> (one per service provider).</exception>
    public static IServiceCollection AddFastRaftNode<TResult>(this IServiceCollection services, IConfiguration configuration,
        Func<IServiceProvider, IStateMachine<TResult>> stateMachine)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(stateMachine);
        string prefix = configuration is IConfigurationSection section ? section.Path : "";
        return services.AddFastRaftNode(prefix, o => o.Bind(configuration), stateMachine);
    }

    /// <summary>
    /// Registers a Raft node whose settings <paramref name="configure"/> sets (errors name the
    /// settings as <c>FastRaftNodeSettings:Property</c>); otherwise as the
    /// <see cref="AddFastRaftNode{TResult}(IServiceCollection, IConfiguration, Func{IServiceProvider, IStateMachine{TResult}})"/>
    /// overload.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the node's settings.</param>
    /// <param name="stateMachine">Makes the node's state machine (called once, when the node is built).</param>
    /// <exception cref="InvalidOperationException">A node is already registered in <paramref name="services"/> (one per service provider).</exception>
    public static IServiceCollection AddFastRaftNode<TResult>(this IServiceCollection services, Action<FastRaftNodeSettings> configure,
        Func<IServiceProvider, IStateMachine<TResult>> stateMachine)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(stateMachine);
        return services.AddFastRaftNode(nameof(FastRaftNodeSettings), o => o.Configure(configure), stateMachine);
    }

    private static IServiceCollection AddFastRaftNode<TResult>(this IServiceCollection services, string prefix,
        Action<OptionsBuilder<FastRaftNodeSettings>> configure, Func<IServiceProvider, IStateMachine<TResult>> stateMachine)
        where TResult : struct
    {
        foreach (ServiceDescriptor d in services)
        {
            // The settings are the service provider's one FastRaftNodeSettings: a second node would share them.
            if (d.ServiceType == typeof(IValidateOptions<FastRaftNodeSettings>) && d.ImplementationInstance is FastRaftSettingsValidation)
            {
                throw new InvalidOperationException("a FastRaft node is already registered: AddFastRaftNode registers one node per service provider (host)");
            }
        }
        var validation = new FastRaftSettingsValidation(prefix);
        OptionsBuilder<FastRaftNodeSettings> options = services.AddOptions<FastRaftNodeSettings>();
        configure(options);
        services.AddSingleton<IValidateOptions<FastRaftNodeSettings>>(validation);
        options.ValidateOnStart();
        services.AddSingleton(provider => Build(validation.Resolve(provider.GetRequiredService<IOptions<FastRaftNodeSettings>>().Value), stateMachine(provider), provider));
        services.AddSingleton<IHostedService, FastRaftNodeService<TResult>>();
        return services;
    }

    // The host's logger factory and clock (when registered) serve the node, its storage and transport.
    private static RaftNode<TResult> Build<TResult>(ResolvedNodeSettings s, IStateMachine<TResult> stateMachine, IServiceProvider provider)
        where TResult : struct
    {
        RaftNodeBuilder<TResult> builder = RaftNodeBuilder<TResult>.ForNode(s.NodeId)
            .WithStateMachine(stateMachine)
            .WithTimeProvider(provider.GetService<TimeProvider>() ?? TimeProvider.System)
            .WithTickInterval(s.TickInterval)
            .WithTimeouts(s.ElectionTicks, s.HeartbeatTicks);
        builder = s.InitialMembers is null ? builder.JoinExistingCluster() : builder.WithInitialMembers(s.InitialMembers);
        if (provider.GetService<ILoggerFactory>() is { } loggers)
        {
            builder.WithLogging(loggers);
        }
        if (s.DataDirectory is not null)
        {
            builder.WithWriteAheadLog(s.DataDirectory).RequireExistingLog(s.RequireExistingData);
        }
        builder = (s.Transport, s.ClusterKey) switch
        {
            (FastRaftTransportKind.Tcp, null) => builder.UseInsecureTcpTransport(s.Listen, s.Peers),
            (FastRaftTransportKind.Tcp, byte[] key) => builder.UseTcpTransport(s.Listen, s.Peers, key),
            (_, null) => builder.UseInsecureUdpTransport(s.Listen, s.Peers),
            (_, byte[] key) => builder.UseUdpTransport(s.Listen, s.Peers, key),
        };
        return builder.Build();
    }
}
