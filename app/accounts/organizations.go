package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"lore/app/validation"
	"lore/storage"
)

// RoleAtLeast tells whether role is min or stronger (member < admin < owner).
func RoleAtLeast(role, min string) bool { return rank(role) >= rank(min) && rank(min) > 0 }

func rank(role string) int {
	switch role {
	case storage.RoleMember:
		return 1
	case storage.RoleAdmin:
		return 2
	case storage.RoleOwner:
		return 3
	}
	return 0
}

// Organization returns one organization, or storage.ErrNotFound.
func (s *Service) Organization(ctx context.Context, orgID int64) (storage.Organization, error) {
	return s.store.Organization(ctx, orgID)
}

// ListOrganizations returns every organization of the instance, by id, for
// the instance owner's page.
func (s *Service) ListOrganizations(ctx context.Context) ([]storage.Organization, error) {
	return s.store.ListOrganizations(ctx)
}

// ListUserOrganizations returns the organizations the user belongs to, with
// the user's role in each.
func (s *Service) ListUserOrganizations(ctx context.Context, userID int64) ([]storage.OrganizationRole, error) {
	return s.store.ListUserOrganizations(ctx, userID)
}

// Membership returns the user's membership of the organization, or
// storage.ErrNotFound when the user is not a member.
func (s *Service) Membership(ctx context.Context, orgID, userID int64) (storage.Membership, error) {
	return s.store.Membership(ctx, orgID, userID)
}

// ListMembers returns the organization's members and their roles.
func (s *Service) ListMembers(ctx context.Context, orgID int64) ([]storage.Membership, error) {
	return s.store.ListMembers(ctx, orgID)
}

// CreateOrganization creates an organization with userID as its owner.
func (s *Service) CreateOrganization(ctx context.Context, userID int64, name string) (storage.Organization, error) {
	fields := map[string]string{}
	name = checkOrgName(fields, "name", name)
	if len(fields) > 0 {
		return storage.Organization{}, invalid(fields)
	}
	var org storage.Organization
	err := s.store.Tx(ctx, func(tx *storage.Tx) (err error) {
		if org, err = tx.CreateOrganization(ctx, name); err != nil {
			return err
		}
		if _, err = tx.AddMembership(ctx, org.ID, userID, storage.RoleOwner); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: org.ID, Actor: Actor(userID), Action: "organization.create",
			Detail: map[string]any{"name": name}})
	})
	if err == nil {
		s.organizationCreated(ctx, org.ID)
	}
	return org, err
}

// MemberInput adds a person to an organization. Password is needed only
// when no user has that email yet; an existing account can be added by the
// instance owner alone (its password is ignored).
type MemberInput struct {
	Email    string
	Role     string
	Password string
}

// AddMember gives a user (created if the email is new) a role in the
// organization. actorRole is the caller's role there: only an owner may make
// an owner.
func (s *Service) AddMember(ctx context.Context, orgID int64, actorID int64, actorRole string, in MemberInput) (storage.Membership, error) {
	fields := map[string]string{}
	email := checkEmail(fields, "email", in.Email)
	checkRole(fields, "role", in.Role)
	if len(fields) > 0 {
		return storage.Membership{}, invalid(fields)
	}
	if in.Role == storage.RoleOwner && actorRole != storage.RoleOwner {
		return storage.Membership{}, ErrForbidden
	}
	// Hash outside the transaction (it is slow) when the email looks new;
	// whether it still is, and who may add it if not, is decided inside.
	var hash string
	if _, err := s.store.UserByEmail(ctx, email); errors.Is(err, storage.ErrNotFound) {
		checkPassword(fields, "password", in.Password)
		if len(fields) > 0 {
			if fields["password"] == "is required" {
				fields["password"] = "is required to create a new user"
			}
			return storage.Membership{}, invalid(fields)
		}
		if hash, err = s.hash(in.Password); err != nil {
			return storage.Membership{}, err
		}
	} else if err != nil {
		return storage.Membership{}, err
	}
	if s.beforeMemberTx != nil {
		s.beforeMemberTx()
	}
	var m storage.Membership
	err := s.store.Tx(ctx, func(tx *storage.Tx) error {
		u, err := tx.UserByEmail(ctx, email)
		created := false
		switch {
		case err == nil:
			if err := mayAddExisting(ctx, tx, orgID, actorID, u.ID); err != nil {
				return err
			}
		case errors.Is(err, storage.ErrNotFound) && hash != "":
			n, err := tx.CountUsers(ctx)
			if err != nil {
				return err
			}
			if u, err = tx.CreateUser(ctx, email, hash, n == 0); err != nil {
				return err
			}
			created = true
		default:
			// Not found with no hash: the user seen a moment ago was deleted.
			return err
		}
		if m, err = tx.AddMembership(ctx, orgID, u.ID, in.Role); err != nil {
			return err
		}
		m.Email = u.Email
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, Actor: Actor(actorID), Action: "member.add",
			Detail: map[string]any{"user_id": u.ID, "role": in.Role, "user_created": created}})
	})
	return m, err
}

// mayAddExisting is the rule for adding an account that exists already,
// checked inside the transaction that adds it so that an account created a
// moment before cannot slip past: whoever created it chose its password, so
// letting another organization's admin add it would hand them a member they
// do not control, or an account an admin elsewhere controls. Only the
// instance owner may; adding a member again is left to be a plain conflict.
func mayAddExisting(ctx context.Context, tx *storage.Tx, orgID, actorID, userID int64) error {
	actor, err := tx.User(ctx, actorID)
	if err != nil {
		return err
	}
	if actor.InstanceOwner {
		return nil
	}
	_, err = tx.Membership(ctx, orgID, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrExistingAccount
	}
	return err
}

// RemoveMember takes a user out of the organization. Only an owner may
// remove an owner, and the last owner stays.
func (s *Service) RemoveMember(ctx context.Context, orgID, actorID int64, actorRole string, userID int64) error {
	return s.store.Tx(ctx, func(tx *storage.Tx) error {
		m, err := tx.Membership(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if m.Role == storage.RoleOwner {
			if actorRole != storage.RoleOwner {
				return ErrForbidden
			}
			n, err := tx.CountOwners(ctx, orgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastOwner
			}
		}
		if err := tx.RemoveMembership(ctx, orgID, userID); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, Actor: Actor(actorID), Action: "member.remove",
			Detail: map[string]any{"user_id": userID, "role": m.Role}})
	})
}

// SetMemberRole changes a member's role in the organization, with the rules
// of AddMember and RemoveMember: only an owner may make an owner or change
// an owner's role, and the last owner stays one. actorRole is the caller's
// role there. The change is audited with the old and new roles; setting the
// role a member has already changes nothing.
func (s *Service) SetMemberRole(ctx context.Context, orgID, actorID int64, actorRole string, userID int64, role string) (storage.Membership, error) {
	fields := map[string]string{}
	checkRole(fields, "role", role)
	if len(fields) > 0 {
		return storage.Membership{}, invalid(fields)
	}
	var m storage.Membership
	err := s.store.Tx(ctx, func(tx *storage.Tx) (err error) {
		if m, err = tx.Membership(ctx, orgID, userID); err != nil {
			return err
		}
		if m.Role == role {
			return nil
		}
		if (role == storage.RoleOwner || m.Role == storage.RoleOwner) && actorRole != storage.RoleOwner {
			return ErrForbidden
		}
		if m.Role == storage.RoleOwner {
			n, err := tx.CountOwners(ctx, orgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastOwner
			}
		}
		if err := tx.SetMembershipRole(ctx, orgID, userID, role); err != nil {
			return err
		}
		old := m.Role
		m.Role = role
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, Actor: Actor(actorID), Action: "member.update",
			Detail: map[string]any{"user_id": userID, "role": map[string]string{"old": old, "new": role}}})
	})
	if err != nil {
		return storage.Membership{}, err
	}
	return m, nil
}

// NewUser is a user created from the command line, with their organization.
type NewUser struct {
	Email    string
	Password string
	OrgName  string
	Role     string
}

// AddUser creates a user and makes them a member of the organization named
// OrgName, creating it if no organization has that name. The first user of
// the instance becomes its instance owner. It is for headless installs.
func (s *Service) AddUser(ctx context.Context, in NewUser, actor string) (storage.User, storage.Organization, error) {
	fields := map[string]string{}
	email := checkEmail(fields, "email", in.Email)
	checkPassword(fields, "password", in.Password)
	orgName := checkOrgName(fields, "org", in.OrgName)
	checkRole(fields, "role", in.Role)
	if len(fields) > 0 {
		return storage.User{}, storage.Organization{}, invalid(fields)
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return storage.User{}, storage.Organization{}, err
	}
	var u storage.User
	var org storage.Organization
	err = s.store.Tx(ctx, func(tx *storage.Tx) error {
		n, err := tx.CountUsers(ctx)
		if err != nil {
			return err
		}
		if u, err = tx.CreateUser(ctx, email, hash, n == 0); err != nil {
			return err
		}
		orgs, err := tx.OrganizationsByName(ctx, orgName)
		switch {
		case err != nil:
			return err
		case len(orgs) > 1:
			return fmt.Errorf("accounts: %d organizations are named %q", len(orgs), orgName)
		case len(orgs) == 1:
			org = orgs[0]
		default:
			if org, err = tx.CreateOrganization(ctx, orgName); err != nil {
				return err
			}
			if err := tx.AddAudit(ctx, storage.AuditEntry{OrgID: org.ID, Actor: actor, Action: "organization.create",
				Detail: map[string]any{"name": orgName}}); err != nil {
				return err
			}
		}
		if _, err = tx.AddMembership(ctx, org.ID, u.ID, in.Role); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: org.ID, Actor: actor, Action: "member.add",
			Detail: map[string]any{"user_id": u.ID, "role": in.Role, "user_created": true}})
	})
	return u, org, err
}

// Workspace returns a workspace of the organization, or storage.ErrNotFound,
// also when it belongs to another organization.
func (s *Service) Workspace(ctx context.Context, orgID int64, id string) (storage.Workspace, error) {
	return s.store.Workspace(ctx, orgID, id)
}

// WorkspaceOrg returns the organization a workspace belongs to, or
// storage.ErrNotFound, so that membership is checked against it.
func (s *Service) WorkspaceOrg(ctx context.Context, id string) (int64, error) {
	return s.store.WorkspaceOrg(ctx, id)
}

// ListWorkspaces returns the organization's Slack workspaces.
func (s *Service) ListWorkspaces(ctx context.Context, orgID int64) ([]storage.Workspace, error) {
	return s.store.ListWorkspaces(ctx, orgID)
}

// CountMessages returns how many messages a workspace of the organization
// holds, or storage.ErrNotFound for another organization's workspace.
func (s *Service) CountMessages(ctx context.Context, orgID int64, workspaceID string) (int64, error) {
	if _, err := s.store.Workspace(ctx, orgID, workspaceID); err != nil {
		return 0, err
	}
	return s.store.CountMessages(ctx, workspaceID)
}

// MessagesPerDay counts the organization's messages per UTC day of their
// ts, from the day of since to the day of until; days without any are left
// out.
func (s *Service) MessagesPerDay(ctx context.Context, orgID int64, since, until time.Time) ([]storage.DayCount, error) {
	return s.store.MessagesPerDay(ctx, orgID, since, until)
}

// CreateWorkspace connects a Slack workspace (team id and display name) to
// the organization. A team id connected anywhere already is storage.ErrConflict.
func (s *Service) CreateWorkspace(ctx context.Context, orgID int64, actor, id, name string) (storage.Workspace, error) {
	fields := map[string]string{}
	id = strings.TrimSpace(id)
	if !workspaceIDPattern.MatchString(id) {
		fields["workspace_id"] = "must be a Slack team id like T0123ABCD"
	}
	name = validation.Name(fields, "name", name, 0, 200)
	if len(fields) > 0 {
		return storage.Workspace{}, invalid(fields)
	}
	var w storage.Workspace
	err := s.store.Tx(ctx, func(tx *storage.Tx) (err error) {
		if w, err = tx.CreateWorkspace(ctx, orgID, id, name); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, WorkspaceID: id, Actor: actor, Action: "workspace.create",
			Detail: map[string]any{"name": name}})
	})
	return w, err
}

// SetWorkspaceTransport chooses how a workspace's Slack app reaches Lore:
// storage.TransportSocket (Socket Mode, the default) or
// storage.TransportHTTP (Slack posts to /slack/{workspace_id}/…). It is
// audited with the old and new values; anything else is a validation error.
func (s *Service) SetWorkspaceTransport(ctx context.Context, orgID int64, actor, id, transport string) (storage.Workspace, error) {
	if transport != storage.TransportSocket && transport != storage.TransportHTTP {
		return storage.Workspace{}, invalid(map[string]string{"transport": `must be "socket" or "http"`})
	}
	var w storage.Workspace
	err := s.store.Tx(ctx, func(tx *storage.Tx) error {
		before, err := tx.Workspace(ctx, orgID, id)
		if err != nil {
			return err
		}
		if w, err = tx.SetWorkspaceTransport(ctx, orgID, id, transport); err != nil {
			return err
		}
		if before.Transport == transport {
			return nil
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, WorkspaceID: id, Actor: actor, Action: "workspace.update",
			Detail: map[string]any{"transport": map[string]string{"old": before.Transport, "new": transport}}})
	})
	return w, err
}

// DeleteWorkspace disconnects a workspace of the organization and deletes
// its channels and messages.
func (s *Service) DeleteWorkspace(ctx context.Context, orgID int64, actor, id string) error {
	err := s.store.Tx(ctx, func(tx *storage.Tx) error {
		if err := tx.DeleteWorkspace(ctx, orgID, id); err != nil {
			return err
		}
		return tx.AddAudit(ctx, storage.AuditEntry{OrgID: orgID, WorkspaceID: id, Actor: actor, Action: "workspace.delete"})
	})
	if err != nil {
		return err
	}
	// The workspace's credentials went with it; push their overwritten
	// pages out of the WAL as well.
	if err := s.store.Checkpoint(ctx); err != nil {
		s.logger.Warn("checkpoint after deleting a workspace", "workspace_id", id, slog.Any("error", err))
	}
	return nil
}

// WorkspaceTransport returns how a workspace's Slack app reaches Lore
// (storage.TransportSocket or TransportHTTP); a workspace that cannot be
// read counts as the default, Socket Mode.
func (s *Service) WorkspaceTransport(ctx context.Context, id string) string {
	orgID, err := s.store.WorkspaceOrg(ctx, id)
	if err != nil {
		return storage.TransportSocket
	}
	w, err := s.store.Workspace(ctx, orgID, id)
	if err != nil || w.Transport == "" {
		return storage.TransportSocket
	}
	return w.Transport
}
