package remediate

import (
	"time"

	"github.com/provwatch/provwatch/configs"
	"github.com/provwatch/provwatch/health"
	"github.com/provwatch/provwatch/probes"
)

// EventKind says what an Event is about.
type EventKind string

// The kinds of Event.
const (
	// EventState is a watched model's confirmed state change.
	EventState EventKind = "state"
	// EventOrder is a chain's order rewritten in the target (or, in a dry
	// run or with target none, the effective order changing).
	EventOrder EventKind = "order"
	// EventPreferred is an operator's own edit of a chain, recognised: the
	// order they wrote becomes the one provwatch restores to.
	EventPreferred EventKind = "preferred"
	// EventTargetError is a round's failure to read or write the target
	// (Path names the target, Detail the error). It goes to a round's
	// consumers (notifications), not to the status page: a run of them is
	// what is worth telling.
	EventTargetError EventKind = "target_error"
)

// Event is one change worth telling a person: on the status page, in the
// demo, in a notification. Every stage that produces one (health tracking,
// the plan and its target) uses this one type.
type Event struct {
	Time time.Time
	Kind EventKind
	// Ref is the model of an EventState.
	Ref string
	// Chain and Path name the chain of an EventOrder or EventPreferred
	// (configs.DefaultsChain, or an agent's id, and where its value stands).
	Chain, Path string
	// From, To, Reason, Detail and Hint describe an EventState.
	From, To probes.State
	Reason   probes.Reason
	Detail   string
	Hint     string
	// Before and After are the orders of an EventOrder or EventPreferred.
	Before, After configs.Order
	// Written is true when the order was written to the target.
	Written bool
	// Why is the one human line of an EventOrder (the SSM Description).
	Why string
}

// StateEvent is the Event of a confirmed state change.
func StateEvent(tr health.Transition, hint string) Event {
	return Event{Time: tr.At, Kind: EventState, Ref: tr.Ref, From: tr.From, To: tr.To, Reason: tr.Reason, Detail: tr.Detail, Hint: hint}
}
