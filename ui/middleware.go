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
	"lore/app/answers"
	"lore/app/credentials"
	"lore/app/documents"
	"lore/app/instance"
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
	questionMember                // a member of the organization that logged {question_id}
	documentMember                // a member of the organization owning {document_id}
	documentAdmin                 // an admin or owner of the organization owning {document_id}
)

func (a access) String() string {
	return [...]string{"public", "signed in", "instance owner", "org member", "org admin",
		"workspace member", "workspace admin", "job member", "job admin", "question member", "document member", "document admin"}[a]
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
				h.answer(w, r, problem(http.StatusInternalServerError, "internal", "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over maxBodyBytes before any handler runs: at
// once when Content-Length says so, and for a body of unknown length
// (chunked) by reading it first, so that every route answers 413 alike,
// whether or not its handler reads the body. The routes of streamedBodies
// have their own limit instead, and their handlers stream the body; a
// page's upload that says it is over that limit reaches its handler too,
// whose form then says why.
func (h *handler) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.mux != nil {
			if _, pattern := h.mux.Handler(r); pattern != "" {
				if sb, ok := h.streamedBodies()[pattern]; ok {
					if r.ContentLength > sb.limit {
						if !servesPage(r) {
							h.answer(w, r, tooLarge(sb.limit))
							return
						}
						// A page's form says so beside its field, so the
						// page's handler answers, after the access checks,
						// from a body that fails at its first read as one
						// read past the limit would; none of it is read.
						r.Body = overLimit{limit: sb.limit}
						next.ServeHTTP(w, r)
						return
					}
					if sb.deadline > 0 {
						setDeadline(http.NewResponseController(w).SetReadDeadline, time.Now().Add(sb.deadline))
					}
					r.Body = http.MaxBytesReader(w, r.Body, sb.limit)
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		if r.ContentLength > maxBodyBytes {
			h.answer(w, r, tooLarge(maxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if r.ContentLength < 0 {
			body, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				h.answer(w, r, tooLarge(maxBodyBytes))
				return
			}
			if err != nil {
				h.answer(w, r, problem(http.StatusBadRequest, "bad_body", "the request body could not be read"))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// overLimit is the body of a page's upload that says it is longer than
// its route's limit: every read fails as http.MaxBytesReader's does past
// the limit.
type overLimit struct{ limit int64 }

func (b overLimit) Read([]byte) (int, error) { return 0, &http.MaxBytesError{Limit: b.limit} }
func (overLimit) Close() error               { return nil }

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
	// Slack's routes prove themselves by signature; a proxy adding
	// Sec-Fetch-Site must not turn Slack away.
	for _, pattern := range []string{slackCommandsRoute, slackEventsRoute, slackInteractionsRoute} {
		cop.AddInsecureBypassPattern(pattern)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.answer(w, r, problem(http.StatusForbidden, "cross_origin", "cross-origin request refused"))
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
				h.answer(w, r, problem(http.StatusUnauthorized, "unauthenticated", "the Authorization header must be: Bearer <token>"))
				return
			}
			t, u, err := h.app.Accounts.TokenUser(ctx, strings.TrimSpace(secret))
			if err != nil {
				if errors.Is(err, accounts.ErrUnauthenticated) {
					h.answer(w, r, problem(http.StatusUnauthorized, "unauthenticated", "unknown or revoked API token"))
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
			h.answer(w, r, problem(http.StatusUnauthorized, "unauthenticated", "sign in, or send an API token as: Authorization: Bearer <token>"))
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
				h.answer(w, r, problem(http.StatusForbidden, "forbidden", "only the instance owner may do this"))
				return
			}
			next.ServeHTTP(w, r)
			return
		case orgMember, orgAdmin:
			id, err := strconv.ParseInt(r.PathValue("org_id"), 10, 64)
			if err != nil || id <= 0 {
				h.answer(w, r, notFound())
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
		case jobMember, jobAdmin, questionMember, documentMember, documentAdmin:
			param, ownerOf := h.owner(a)
			id, err := strconv.ParseInt(r.PathValue(param), 10, 64)
			if err != nil || id <= 0 {
				h.answer(w, r, notFound())
				return
			}
			if orgID, err = ownerOf(ctx, id); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if a == orgAdmin || a == workspaceAdmin || a == jobAdmin || a == documentAdmin {
			minRole = storage.RoleAdmin
		}
		m, err := h.app.Accounts.Membership(ctx, orgID, p.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !accounts.RoleAtLeast(m.Role, minRole) {
			h.answer(w, r, problem(http.StatusForbidden, "forbidden", "this needs the "+minRole+" role in the organization"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, membershipKey, m)))
	})
}

// owner names, for an access level of a resource with a numeric id, the
// path's wildcard and how to find the organization the resource belongs to.
func (h *handler) owner(a access) (param string, orgOf func(context.Context, int64) (int64, error)) {
	switch a {
	case jobMember, jobAdmin:
		return "job_id", h.app.Jobs.JobOrg
	case questionMember:
		return "question_id", h.app.Answers.QuestionOrg
	case documentMember, documentAdmin:
		return "document_id", h.app.Documents.DocumentOrg
	}
	panic(fmt.Sprintf("ui: access %s has no owner", a))
}

func writeNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "not_found", "not found", nil)
}

// notFound is the one 404, for a missing resource and another
// organization's alike.
func notFound() *requestError { return problem(http.StatusNotFound, "not_found", "not found") }

// problem is an answer without fields.
func problem(status int, code, message string) *requestError {
	return &requestError{status: status, code: code, message: message}
}

// tooLarge is the 413 of a body over limit.
func tooLarge(limit int64) *requestError {
	return problem(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the request body must be at most %d bytes", limit))
}

// answer writes a problem: as a page for a request of a page (see
// servesPage), else in the one JSON error shape.
func (h *handler) answer(w http.ResponseWriter, r *http.Request, p *requestError) {
	setRetryAfter(w, p.retryAfter)
	if servesPage(r) {
		h.errorPage(w, r, p)
		return
	}
	writeError(w, p.status, p.code, p.message, p.fields)
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

// requestError is how a request is answered when it fails: problemOf
// decides one for any error, and answer writes it as JSON or as a page.
type requestError struct {
	status     int
	code       string
	message    string
	fields     map[string]string
	retryAfter time.Duration // sent as Retry-After when set
}

func (e *requestError) Error() string { return e.message }

// setRetryAfter sets Retry-After in whole seconds, rounded up, when d is set.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

// fail answers err: problemOf decides the status and code, answer writes
// them as JSON for the API or as a page for the browser.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.answer(w, r, h.problemOf(r, err))
}

// problemOf maps an error to its answer, in one place for the API and the
// pages: validation → 422 naming the fields, not found (also another
// organization's) → 404, a role that is not enough → 403, a value the
// schema's constraints refused → 409 or 422 (never a 500: it is the
// caller's input), and anything unexpected → 500 with the detail logged,
// never sent.
func (h *handler) problemOf(r *http.Request, err error) *requestError {
	var (
		re  *requestError
		ve  *validation.Error
		rl  *accounts.RateLimitError
		ue  *credentials.UnavailableError
		mbe *http.MaxBytesError
		xe  *sync.ExportError
	)
	var refused *documents.RefusedError
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, documents.ErrUploadDisabled):
		return problem(http.StatusForbidden, "document_upload_disabled",
			"document uploads are disabled for this organization (its document_upload_enabled setting)")
	case errors.As(err, &refused):
		status := http.StatusUnprocessableEntity
		if refused.Code == "unsupported_type" {
			status = http.StatusUnsupportedMediaType
		}
		return &requestError{status: status, code: refused.Code, message: refused.Reason, fields: map[string]string{"file": refused.Reason}}
	case errors.As(err, &ve):
		return &requestError{status: http.StatusUnprocessableEntity, code: ve.Code, message: ve.Message, fields: ve.Fields}
	case errors.Is(err, sync.ErrBadExport):
		// The file itself is no usable Slack export: the caller's input.
		reason := "is not a usable Slack export"
		if errors.As(err, &xe) {
			reason += ": " + xe.Reason()
		}
		return &requestError{status: http.StatusUnprocessableEntity, code: "invalid_export",
			message: "the file is not a usable Slack export", fields: map[string]string{"file": reason}}
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.As(err, &rl):
		p := problem(http.StatusTooManyRequests, "rate_limited", rl.Error())
		p.retryAfter = rl.RetryAfter
		return p
	case errors.Is(err, storage.ErrNotFound):
		return notFound()
	case errors.Is(err, instance.ErrNoKeys):
		return problem(http.StatusServiceUnavailable, "key_unavailable", "no encryption key is loaded; see the server log")
	case errors.Is(err, answers.ErrWebQADisabled):
		return problem(http.StatusForbidden, "web_qa_disabled", "questions on the web are turned off for this organization (web_qa_enabled)")
	case errors.Is(err, credentials.ErrNoCredentials):
		return problem(http.StatusConflict, "no_credentials", "the workspace has no Slack credentials; store them first")
	case errors.Is(err, credentials.ErrReplaced):
		return problem(http.StatusConflict, "credentials_changed", "the credentials were replaced while being verified; verify again")
	case credentials.IsKeyError(err):
		return problem(http.StatusServiceUnavailable, "key_unavailable",
			"the configured encryption key cannot open or store these credentials; see the server log")
	case errors.As(err, &ue):
		// Slack did not answer; the message is scrubbed of secrets by the service.
		p := problem(http.StatusBadGateway, "slack_unavailable", ue.Error()+"; nothing was changed")
		p.retryAfter = ue.RetryAfter
		return p
	case errors.Is(err, storage.ErrConflict):
		return problem(http.StatusConflict, "conflict", "already exists")
	case storage.IsConstraintViolation(err):
		// The schema refused a value the services let through: the caller's
		// input, so a 422, but a check is missing above, so it is logged.
		h.logger.Warn("the database refused a value", "method", r.Method, "path", r.URL.Path, slog.Any("error", err))
		return problem(http.StatusUnprocessableEntity, "invalid_request", "a value was refused by the database's checks")
	case errors.Is(err, accounts.ErrInvalidCredentials):
		return problem(http.StatusUnauthorized, "login_failed", "wrong email or password")
	case errors.Is(err, accounts.ErrUnauthenticated):
		return problem(http.StatusUnauthorized, "unauthenticated", "not signed in")
	case errors.Is(err, accounts.ErrSetupTokenRequired):
		return problem(http.StatusForbidden, "setup_token_required",
			"signup from another machine needs the setup token that lore serve printed with its URL (or sign up on the server itself)")
	case errors.Is(err, accounts.ErrSetupTokenWrong):
		return problem(http.StatusForbidden, "setup_token_invalid",
			"the setup token is wrong; use the one lore serve printed at its last start")
	case errors.Is(err, accounts.ErrSignupClosed):
		return problem(http.StatusForbidden, "signup_closed", "signup is closed: this instance already has users; ask an admin to add you")
	case errors.Is(err, accounts.ErrExistingAccount):
		return problem(http.StatusForbidden, "account_exists", "this email already has an account; only the instance owner can add an existing account to another organization")
	case errors.Is(err, accounts.ErrForbidden):
		return problem(http.StatusForbidden, "forbidden", "your role does not allow this")
	case errors.Is(err, accounts.ErrLastOwner):
		return problem(http.StatusConflict, "last_owner", "an organization needs at least one owner")
	default:
		h.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, slog.Any("error", err))
		return problem(http.StatusInternalServerError, "internal", "internal error")
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
