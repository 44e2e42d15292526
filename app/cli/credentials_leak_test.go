package cli

import (
	"strings"
	"testing"

	"lore/app/slackfake"
)

// TestImportEnvNeverEchoesSlackText: Slack's error field echoing a token
// without its xoxb-/xapp- prefix must not reach what import-env prints (its
// error is the line main writes to stderr).
func TestImportEnvNeverEchoesSlackText(t *testing.T) {
	t.Parallel()
	botPiece := strings.TrimPrefix(cliBotToken, "xoxb-")
	appPiece := strings.TrimPrefix(cliAppToken, "xapp-")
	for _, tt := range []struct {
		name, method, text, piece, want string
	}{
		{"before storing", "auth.test", "invalid_auth: " + botPiece, botPiece,
			"unexpected answer from Slack (HTTP 200); nothing was stored"},
		{"on verification", "apps.connections.open", "bad token " + appPiece, appPiece,
			"stored, but not verified: credentials: verify workspace T0123ABCD: unexpected answer from Slack (HTTP 200)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars, org := cliSetup(t)
			fake := slackfake.New(t)
			fake.AddBot(cliBotToken, slackfake.Acme)
			fake.AddApp(cliAppToken)
			fake.FailWith(tt.method, tt.text)
			vars = withVars(vars, map[string]string{"LORE_SLACK_API_URL": fake.URL(),
				"SLACK_BOT_TOKEN": cliBotToken, "SLACK_APP_TOKEN": cliAppToken, "SLACK_SIGNING_SECRET": cliSigningSecret})
			out, err := runLore(t, vars, "credentials", "import-env", "--org="+itoa(org))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("import-env: %v, want %q", err, tt.want)
			}
			if all := out + err.Error(); strings.Contains(all, tt.piece) || strings.Contains(all, tt.piece[len(tt.piece)/2:]) {
				t.Errorf("import-env printed Slack's echo of a token:\n%s", all)
			}
		})
	}
}
