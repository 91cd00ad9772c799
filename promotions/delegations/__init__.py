"""Delegation: a committee member or an Executive hands their seat to someone holding the same
role for a while (leave): the delegate receives the seat's notifications and may vote for it."""
