package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"lore/app/accounts"
	"lore/app/credentials"
	"lore/app/sync"
	"lore/app/validation"
	"lore/storage"
)

// maxBodyBytes is the largest request body Lore reads; more is a 413.
const maxBodyBytes = 1 << 20

// sessionCookie holds a signed-in browser's session token.
const sessionCookie = "lore_session"

// access is who may call a route. Each route declares one in the route
// table and guard enforces it before the handler runs: the first two layers
// of isolation (authentication, then membership of the organization named
// by the path or owning its workspace).
type access int

const (
	public          access = iota // anyone, signed in or not
	signedIn                      // any signed-in user
	instanceOwner                 // the user who may create organizations
	orgMember                     // a member of {org_id}, any role
	orgAdmin                      // an admin or owner of {org_id}
	workspaceMember               // a member of the organization owning {workspace_id}
	workspaceAdmin                // an admin or owner of the organization owning {workspace_id}
	jobMember                     // a member of the organization owning {job_id}
	jobAdmin                      // an admin or owner of the organization owning {job_id}
)

func (a access) String() string {
	return [...]string{"public", "signed in", "instance owner", "org member", "org admin",
		"workspace member", "workspace admin", "job member", "job admin"}[a]
}

// principal is who made a request, by session or by API token.
type principal struct {
	UserID        int64
	Email         string
	InstanceOwner bool
	SessionID     int64 // the session signed in with; 0 for an API token
	TokenID       int64 // the API token used; 0 for a session
}

// actor names the principal in audit rows.
func (p principal) actor() string { return accounts.Actor(p.UserID) }

type ctxKey int

const (
	principalKey ctxKey = iota
	membershipKey
)

// principalFrom returns the signed-in caller, if any.
func principalFrom(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(principalKey).(principal)
	return p, ok
}

// membershipFrom returns the caller's membership of the organization the
// route names, put there by guard for org and workspace routes.
func membershipFrom(ctx context.Context) (storage.Membership, bool) {
	m, ok := ctx.Value(membershipKey).(storage.Membership)
	return m, ok
}

// caller returns the principal and membership of an org or workspace route;
// guard has put both there, so their absence is a bug in the route table.
func caller(r *http.Request) (principal, storage.Membership) {
	p, okP := principalFrom(r.Context())
	m, okM := membershipFrom(r.Context())
	if !okP || !okM {
		panic(fmt.Sprintf("ui: %s %s: route is not guarded by an org or workspace access", r.Method, r.URL.Path))
	}
	return p, m
}

// middleware wraps the router in what every request goes through, outermost
// first: the body limit, cross-origin protection for requests that are not
// Bearer-authenticated, and authentication.
func (h *handler) middleware(next http.Handler) http.Handler {
	return h.recoverPanics(h.limitBody(h.csrf(h.authenticate(next))))
}

func (h *handler) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.logger.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal", "internal error", nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over maxBodyBytes before any handler runs: at
// once when Content-Length says so, and for a body of unknown length
// (chunked) by reading it first, so that every route answers 413 alike,
// whether or not its handler reads the body. The routes of streamedBodies
// have their own limit instead, and their handlers stream the body.
func (h *handler) limitBody(next http.Handler) http.Handler {
	tooLarge := func(w http.ResponseWriter, limit int64) {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body must be at most %d bytes", limit), nil)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.mux != nil {
			if _, pattern := h.mux.Handler(r); pattern != "" {
				if limit, ok := h.streamedBodies()[pattern]; ok {
					if r.ContentLength > limit {
						tooLarge(w, limit)
						return
					}
					r.Body = http.MaxBytesReader(w, r.Body, limit)
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		if r.ContentLength > maxBodyBytes {
			tooLarge(w, maxBodyBytes)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if r.ContentLength < 0 {
			body, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge(w, maxBodyBytes)
				return
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, "bad_body", "the request body could not be read", nil)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// csrf applies net/http's CrossOriginProtection to every request that does
// not carry an Authorization header: browsers, which send the session cookie
// on their own, are checked; scripts with a Bearer token (which a browser
// never adds by itself) and Slack's requests (which come with no Origin or
// Sec-Fetch-Site header) pass. Logins and signups are checked too, against
// login CSRF.
func (h *handler) csrf(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(h.app.Config.PublicURL); err == nil && u.Host != "" {
		// A reverse proxy may rewrite Host; the browser's Origin is then
		// the public URL's.
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			h.logger.Warn("public URL not usable as a trusted origin", "public_url", h.app.Config.PublicURL, slog.Any("error", err))
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross_origin", "cross-origin request refused", nil)
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// authenticate puts the caller in the request's context: by API token when
// an Authorization header is sent (a bad one is a 401 at once), otherwise by
// session cookie (a stale one is ignored, so public routes still work).
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, secret, _ := strings.Cut(auth, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				writeError(w, http.StatusUnauthorized, "unauthenticated", "the Authorization header must be: Bearer <token>", nil)
				return
			}
			t, u, err := h.app.Accounts.TokenUser(ctx, strings.TrimSpace(secret))
			if err != nil {
				if errors.Is(err, accounts.ErrUnauthenticated) {
					writeError(w, http.StatusUnauthorized, "unauthenticated", "unknown or revoked API token", nil)
				} else {
					h.fail(w, r, err)
				}
				return
			}
			p := principal{UserID: u.ID, Email: u.Email, InstanceOwner: u.InstanceOwner, TokenID: t.ID}
			r = r.WithContext(context.WithValue(ctx, principalKey, p))
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			sess, u, err := h.app.Accounts.SessionUser(ctx, c.Value)
			switch {
			case err == nil:
				p := principal{UserID: u.ID, Email: u.Email, InstanceOwner: u.InstanceOwner, SessionID: sess.ID}
				r = r.WithContext(context.WithValue(ctx, principalKey, p))
			case !errors.Is(err, accounts.ErrUnauthenticated):
				h.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// guard enforces a route's access before its handler runs. A missing
// organization or workspace and one the caller is not a member of answer
// the same 404; a member without the needed role gets 403.
func (h *handler) guard(a access, next http.Handler) http.Handler {
	if a == public {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, ok := principalFrom(ctx)
		if !ok {
			writeError(w, http.StatusUnauthorized, "unauthenticated", "sign in, or send an API token as: Authorization: Bearer <token>", nil)
			return
		}
		minRole := storage.RoleMember
		var orgID int64
		switch a {
		case signedIn:
			next.ServeHTTP(w, r)
			return
		case instanceOwner:
			if !p.InstanceOwner {
				writeError(w, http.StatusForbidden, "forbidden", "only the instance owner may do this", nil)
				return
			}
			next.ServeHTTP(w, r)
			return
		case orgMember, orgAdmin:
			id, err := strconv.ParseInt(r.PathValue("org_id"), 10, 64)
			if err != nil || id <= 0 {
				writeNotFound(w)
				return
			}
			orgID = id
		case workspaceMember, workspaceAdmin:
			id, err := h.app.Accounts.WorkspaceOrg(ctx, r.PathValue("workspace_id"))
			if err != nil {
				h.fail(w, r, err)
				return
			}
			orgID = id
		case jobMember, jobAdmin:
			job, err := strconv.ParseInt(r.PathValue("job_id"), 10, 64)
			if err != nil || job <= 0 {
				writeNotFound(w)
				return
			}
			if orgID, err = h.app.Jobs.JobOrg(ctx, job); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if a == orgAdmin || a == workspaceAdmin || a == jobAdmin {
			minRole = storage.RoleAdmin
		}
		m, err := h.app.Accounts.Membership(ctx, orgID, p.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !accounts.RoleAtLeast(m.Role, minRole) {
			writeError(w, http.StatusForbidden, "forbidden", "this needs the "+minRole+" role in the organization", nil)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, membershipKey, m)))
	})
}

func writeNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "not_found", "not found", nil)
}

// apiNotFound answers API requests no route matches, in the JSON error
// shape: 405 with Allow when the path exists for other methods, else 404.
func (h *handler) apiNotFound(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := *r
		probe.Method = method
		if _, pattern := h.mux.Handler(&probe); pattern != "" && pattern != apiFallback {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) == 0 {
		writeNotFound(w)
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
		fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")), nil)
}

// requestError is a bad request body, answered as it says.
type requestError struct {
	status  int
	code    string
	message string
	fields  map[string]string
}

func (e *requestError) Error() string { return e.message }

// setRetryAfter sets Retry-After in whole seconds, rounded up, when d is set.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

// fail maps an error to its answer, in one place: validation, and a file
// that is no usable Slack export, → 422 naming the fields, not found (also
// another organization's) → 404, a role that is not enough → 403, a value the schema's constraints refused → 409 or 422
// (never a 500: it is the caller's input), and anything unexpected → 500
// with the detail logged, never sent.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		re  *requestError
		ve  *validation.Error
		rl  *accounts.RateLimitError
		ue  *credentials.UnavailableError
		mbe *http.MaxBytesError
		xe  *sync.ExportError
	)
	switch {
	case errors.As(err, &re):
		writeError(w, re.status, re.code, re.message, re.fields)
	case errors.As(err, &ve):
		writeError(w, http.StatusUnprocessableEntity, ve.Code, ve.Message, ve.Fields)
	case errors.Is(err, sync.ErrBadExport):
		// The file itself is no usable Slack export: the caller's input.
		problem := "is not a usable Slack export"
		if errors.As(err, &xe) {
			problem = xe.Reason()
		}
		writeError(w, http.StatusUnprocessableEntity, "invalid_export", "the file is not a usable Slack export",
			map[string]string{"file": problem})
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body must be at most %d bytes", mbe.Limit), nil)
	case errors.As(err, &rl):
		setRetryAfter(w, rl.RetryAfter)
		writeError(w, http.StatusTooManyRequests, "rate_limited", rl.Error(), nil)
	case errors.Is(err, storage.ErrNotFound):
		writeNotFound(w)
	case errors.Is(err, credentials.ErrNoCredentials):
		writeError(w, http.StatusConflict, "no_credentials", "the workspace has no Slack credentials; store them first", nil)
	case errors.Is(err, credentials.ErrReplaced):
		writeError(w, http.StatusConflict, "credentials_changed", "the credentials were replaced while being verified; verify again", nil)
	case credentials.IsKeyError(err):
		writeError(w, http.StatusServiceUnavailable, "key_unavailable",
			"the configured encryption key cannot open or store these credentials; see the server log", nil)
	case errors.As(err, &ue):
		// Slack did not answer; the message is scrubbed of secrets by the service.
		setRetryAfter(w, ue.RetryAfter)
		writeError(w, http.StatusBadGateway, "slack_unavailable", ue.Error()+"; nothing was changed", nil)
	case errors.Is(err, storage.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "already exists", nil)
	case storage.IsConstraintViolation(err):
		// The schema refused a value the services let through: the caller's
		// input, so a 422, but a check is missing above, so it is logged.
		h.logger.Warn("the database refused a value", "method", r.Method, "path", r.URL.Path, slog.Any("error", err))
		writeError(w, http.StatusUnprocessableEntity, "invalid_request", "a value was refused by the database's checks", nil)
	case errors.Is(err, accounts.ErrInvalidCredentials):
		writeError(w, http.StatusUnauthorized, "login_failed", "wrong email or password", nil)
	case errors.Is(err, accounts.ErrUnauthenticated):
		writeError(w, http.StatusUnauthorized, "unauthenticated", "not signed in", nil)
	case errors.Is(err, accounts.ErrSetupTokenRequired):
		writeError(w, http.StatusForbidden, "setup_token_required",
			"signup from another machine needs the setup token that lore serve printed with its URL (or sign up on the server itself)", nil)
	case errors.Is(err, accounts.ErrSetupTokenWrong):
		writeError(w, http.StatusForbidden, "setup_token_invalid",
			"the setup token is wrong; use the one lore serve printed at its last start", nil)
	case errors.Is(err, accounts.ErrSignupClosed):
		writeError(w, http.StatusForbidden, "signup_closed", "signup is closed: this instance already has users; ask an admin to add you", nil)
	case errors.Is(err, accounts.ErrExistingAccount):
		writeError(w, http.StatusForbidden, "account_exists", "this email already has an account; only the instance owner can add an existing account to another organization", nil)
	case errors.Is(err, accounts.ErrForbidden):
		writeError(w, http.StatusForbidden, "forbidden", "your role does not allow this", nil)
	case errors.Is(err, accounts.ErrLastOwner):
		writeError(w, http.StatusConflict, "last_owner", "an organization needs at least one owner", nil)
	default:
		h.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "internal", "internal error", nil)
	}
}

// decodeJSON reads the request body, one JSON value, into v. A struct v
// refuses unknown fields, and every object's keys must appear once and, for
// a struct, be spelled exactly as its fields (see checkKeys). Errors are a
// *requestError (400 for a body that is not JSON), a *validation.Error (422
// naming a field of the wrong type, unknown, repeated or miscased) or a
// *http.MaxBytesError (413).
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	if err != nil {
		return &requestError{status: http.StatusBadRequest, code: "bad_body", message: "the request body could not be read"}
	}
	if err := checkKeys(body, fieldNames(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("trailing data after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return invalidField(te.Field, "must be "+jsonKind(te.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return invalidField(name, "is not a field of this request")
	case errors.Is(err, io.EOF):
		return &requestError{status: http.StatusBadRequest, code: "invalid_json", message: "the request body must be a JSON object"}
	}
	return &requestError{status: http.StatusBadRequest, code: "invalid_json", message: "the request body must be a JSON object: " + err.Error()}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "of another type"
}
