package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	"lore/app"
	"lore/app/instance"
	"lore/app/jobs/importjob"
)

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 15 * time.Second

func serve(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("serve", "", "Runs Lore in one process: the web pages and API, the scheduler and the Slack connections.")
	var c commonFlags
	c.register(fs, env, "info")
	addr := fs.String("addr", envOr(env, "LORE_ADDR", "127.0.0.1:8080"), "address to listen on (env LORE_ADDR)")
	publicURL := fs.String("public-url", envOr(env, "LORE_PUBLIC_URL", ""),
		"how browsers reach Lore behind a reverse proxy, e.g. https://lore.example.com (env LORE_PUBLIC_URL)")
	trustedProxies := fs.String("trusted-proxies", envOr(env, "LORE_TRUSTED_PROXIES", ""),
		"comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For names the client (env LORE_TRUSTED_PROXIES)")
	slackAPI := slackAPIFlag(fs, env)
	maxImport := fs.String("max-import-size", envOr(env, "LORE_MAX_IMPORT_SIZE", "2GiB"),
		"largest Slack export an upload may send, e.g. 500MiB or 4GiB (env LORE_MAX_IMPORT_SIZE)")
	openDefault, err := strconv.ParseBool(envOr(env, "LORE_OPEN_BROWSER", "true"))
	if err != nil {
		return usagef("LORE_OPEN_BROWSER %q: want true or false", env.Getenv("LORE_OPEN_BROWSER"))
	}
	openBrowser := fs.Bool("open-browser", openDefault,
		"open the start page in the default browser once at start, in a desktop session only (never under systemd or without a display) (env LORE_OPEN_BROWSER)")
	maxDocument := fs.String("max-document-size", envOr(env, "LORE_MAX_DOCUMENT_SIZE", "20MiB"),
		"largest document an upload may send, e.g. 50MiB (env LORE_MAX_DOCUMENT_SIZE)")
	historyRate := fs.String("slack-history-rate", envOr(env, "LORE_SLACK_HISTORY_RATE", "50"),
		"calls a minute of conversations.history and of conversations.replies each; above Slack's limit, Lore slows down to it (env LORE_SLACK_HISTORY_RATE)")
	rest, err := parse(fs, env, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest[0])
	}
	importLimit, err := humanize.ParseBytes(*maxImport)
	if err != nil || importLimit == 0 || importLimit > 1<<40 {
		return usagef("--max-import-size %q: want a size such as 500MiB or 4GiB, at most 1TiB", *maxImport)
	}
	documentLimit, err := humanize.ParseBytes(*maxDocument)
	if err != nil || documentLimit == 0 || documentLimit > 1<<30 {
		return usagef("--max-document-size %q: want a size such as 20MiB or 100MiB, at most 1GiB", *maxDocument)
	}
	cfg, logger, err := c.setup(env)
	if err != nil {
		return err
	}
	cfg.Addr = *addr
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--public-url %q: want an absolute http:// or https:// URL", *publicURL)
		}
		cfg.PublicURL = strings.TrimSuffix(u.String(), "/")
	}
	cfg.SlackAPIURL = *slackAPI
	rate, err := strconv.Atoi(*historyRate)
	if err != nil || rate < 1 || rate > 10000 {
		return usagef("--slack-history-rate (LORE_SLACK_HISTORY_RATE) %q: want calls a minute, 1-10000", *historyRate)
	}
	cfg.SlackHistoryRate = rate
	cfg.MaxImportBytes = int64(importLimit)
	cfg.MaxDocumentBytes = int64(documentLimit)
	if cfg.TrustedProxies, err = app.ParseTrustedProxies(*trustedProxies); err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	if cfg.LLM, err = instance.EnvFrom(env.Getenv); err != nil {
		return usagef("%v", err)
	}
	lock, err := lockFor(cfg, "serve")
	if err != nil {
		return err
	}
	defer lock.Release()

	// Bind before opening the database: a busy port fails at once, before
	// any migration runs.
	ln, err := net.Listen("tcp", cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: the address is in use by another program; choose another with --addr or LORE_ADDR", cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}

	a, err := openWith(ctx, env, cfg, logger, needOf("serve"))
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	if env.Importer != nil {
		importjob.Register(a.Jobs, env.Importer)
	}
	// This process holds the lock: its runner runs every job, also those
	// lore import queues, and recovers what a crash left running.
	if err := a.Jobs.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := a.Scheduler.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	if removed, err := importjob.SweepUploads(ctx, a.Store, cfg.DataDir); err != nil {
		logger.Warn("uploads not swept", slog.Any("error", err))
	} else if len(removed) > 0 {
		logger.Info("removed uploads no import owns", "files", len(removed))
	}
	if removed, err := a.Documents.SweepUploads(ctx); err != nil {
		logger.Warn("document uploads not swept", slog.Any("error", err))
	} else if len(removed) > 0 {
		logger.Info("removed document uploads no extraction owns", "files", len(removed))
	}
	// The Socket Mode connections: one per workspace with valid
	// credentials, kept in step with them until shutdown.
	socketsCtx, stopSockets := context.WithCancel(context.WithoutCancel(ctx))
	socketsDone := make(chan struct{})
	go func() {
		defer close(socketsDone)
		if a.Sockets != nil {
			a.Sockets.Run(socketsCtx)
		}
	}()
	defer func() {
		stopSockets()
		<-socketsDone
	}()
	srv := &http.Server{
		Handler:           env.NewHandler(a),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute, // bodies are at most 1 MiB; uploads set their own deadlines
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	address := "http://" + displayAddr(ln.Addr())
	// read before the line that says Lore runs: whoever waits for that line
	// may stop the server at once
	token, err := a.Accounts.SetupToken(ctx)
	if err != nil {
		return err
	}
	if cfg.PublicURL != "" {
		fmt.Fprintf(env.Stdout, "Lore is running at %s (public URL %s)\n", address, cfg.PublicURL)
	} else {
		fmt.Fprintf(env.Stdout, "Lore is running at %s\n", address)
	}
	printSetupLink(env, a, address, token)
	offerEnvImport(env)
	logger.Info("serving", "url", address, "public_url", cfg.PublicURL, "data_dir", cfg.DataDir)
	if *openBrowser && desktop(runtime.GOOS, env.Getenv) {
		opener := env.OpenBrowser
		if opener == nil {
			opener = openURL
		}
		// The address is this machine's, so a first run needs no setup token.
		if err := opener(address + "/"); err != nil {
			logger.Warn("could not open a browser; open the URL above by hand", slog.Any("error", err))
		}
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	// Shutdown order: HTTP server (drain requests), scheduler (no new
	// scheduled run), job runner (running jobs cancelled; resumable ones
	// resume from their checkpoints at the next start), database.
	logger.Info("shutting down")
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		logger.Warn("requests still running at shutdown were cut off", slog.Any("error", err))
	}
	if err := a.Scheduler.Stop(); err != nil {
		logger.Warn("scheduler", slog.Any("error", err))
	}
	stopSockets()
	<-socketsDone
	jobsCtx, cancelJobs := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancelJobs()
	if err := a.Jobs.Stop(jobsCtx); err != nil {
		logger.Warn("job runner", slog.Any("error", err))
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// printSetupLink prints, while the instance has no user (a setup token),
// the link that lets the first signup come from another machine (from this
// one it needs no token). It goes to stdout, not the log: the token is a
// secret while it lasts.
func printSetupLink(env Env, a *app.App, address, token string) {
	if token == "" {
		return
	}
	if a.Config.PublicURL != "" {
		address = a.Config.PublicURL
	}
	fmt.Fprintf(env.Stdout, "No account exists yet. Create the first one from this machine, or from another with the setup token: open %s/?setup=%s\n", address, token)
}

// displayAddr turns a listening address into one a browser can open: a
// wildcard host becomes localhost.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
