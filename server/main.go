// Command server is rxlab: the GraphQL API, the web workbench and the admin
// commands, over one Badger database.
//
//	go run ./server                         serve on 127.0.0.1:8080 with ./data
//	go run ./server backup -data DIR -o FILE
//	go run ./server restore -data NEWDIR -i FILE
//	go run ./server token create -role designer [-name NAME]
//	go run ./server token revoke -id T3
//	go run ./server token list
//	go run ./server audit verify
//	go run ./server federate -sites sites.yaml [-addr 127.0.0.1:8090] [-data ./federation]
//	go run ./server worker -store postgres://… -nats nats://… [-jobs 1] [-shards 1]
//	go run ./server -store postgres://… -nats nats://…   (API nodes sharing jobs)
//
// Every command takes -data (RXLAB_DATA) and -key-file (RXLAB_KEY_FILE),
// and -store (RXLAB_STORE): a Badger directory (default: the data
// directory) or a postgres:// URL of a database several servers share.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rxlab:", err)
		}
		os.Exit(1)
	}
}

// run dispatches the subcommand; it is main without the exit, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, log)
	case "backup":
		return backup(ctx, args, stdout)
	case "restore":
		return restore(ctx, args, stdout)
	case "token":
		return tokenCmd(ctx, args, stdout)
	case "audit":
		return auditCmd(ctx, args, stdout)
	case "federate":
		return federateCmd(ctx, args, log)
	case "worker":
		return workerCmd(ctx, args, log)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: server [serve|backup|restore|token create|token revoke|token list|audit verify|worker|federate] [flags]")
		return nil
	}
	return fmt.Errorf("unknown command %q; try: serve, backup, restore, token, audit, worker, federate", cmd)
}
