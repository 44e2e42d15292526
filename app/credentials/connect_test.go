package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestConnectAuditsOncePerJob: background work reads the credentials once
// and makes any number of Slack calls with them; the audit log gets one row
// for the job, not one per call.
func TestConnectAuditsOncePerJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := newFakeSlack(t)
	e := newEnv(t, fake.URL(), nil)
	if _, err := e.svc.Store(ctx, "user:1", e.org, "T0123ABCD", good); err != nil {
		t.Fatal(err)
	}
	conn, err := e.svc.Connect(ctx, "job:42", e.org, "T0123ABCD")
	if err != nil {
		t.Fatal(err)
	}
	if conn.Credentials != good || conn.Purpose != "job:42" || conn.WorkspaceID != "T0123ABCD" || conn.OrgID != e.org {
		t.Fatalf("Connect = %v", conn)
	}
	for range 5 {
		auth, err := conn.Slack.AuthTestContext(ctx)
		if err != nil || auth.TeamID != "T0123ABCD" {
			t.Fatalf("a call with the connection: %+v, %v", auth, err)
		}
	}
	reads := e.audit(t, ActionRead)
	if len(reads) != 1 || reads[0].Actor != "job:42" || reads[0].Outcome != "ok" || reads[0].Detail["purpose"] != "job:42" {
		t.Fatalf("audit rows for a job of 5 calls = %+v, want one for job:42", reads)
	}
	if n := len(fake.Requests("auth.test")); n != 5 {
		t.Errorf("auth.test called %d times, want 5", n)
	}

	// A Connection prints and logs masked.
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("job", "conn", conn, "value", *conn)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("job", "conn", conn, "value", *conn)
	out := logs.String() + fmt.Sprintf("%v %+v %#v %v %+v %v %+v %#v", conn, conn, conn, *conn, *conn, conn.Slack, conn.Slack, conn.Slack)
	assertNoSecret(t, "a printed Connection", []byte(out), secretNeedles(good))

	// The purpose must name the work; a workspace without credentials is audited as such.
	for _, bad := range []string{"", "job", "job:", "Job:1", "job:4 2", "system"} {
		if _, err := e.svc.Connect(ctx, bad, e.org, "T0123ABCD"); err == nil || !strings.Contains(err.Error(), "kind:id") {
			t.Errorf("Connect(purpose %q) = %v, want an error naming the format", bad, err)
		}
	}
	e.addWorkspace(t, "T0EMPTY")
	if _, err := e.svc.Connect(ctx, "socket:T0EMPTY", e.org, "T0EMPTY"); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Connect without credentials = %v, want ErrNoCredentials", err)
	}
	if reads := e.audit(t, ActionRead); len(reads) != 2 || reads[0].Outcome != "no_credentials" || reads[0].Actor != "socket:T0EMPTY" {
		t.Errorf("audit after a failed Connect = %+v", reads)
	}
}
