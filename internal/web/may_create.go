package web

import (
	"context"
	"fmt"

	"github.com/left4me/left4me/internal/roles"
)

// mayCreate refuses the principal the creation of instances without the
// account permission (roles.MayCreate). It reads the account afresh: the
// session's copy carries no permissions, and an administrator's change
// applies at once.
func (s *Server) mayCreate(ctx context.Context, p *principal) error {
	if p.User.IsAdmin {
		return nil
	}
	u, err := s.cfg.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("may %s create instances: %w", p.User.Name, err)
	}
	return roles.MayCreate(u)
}
