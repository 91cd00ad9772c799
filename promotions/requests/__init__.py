"""Nomination requests: a member asks their manager for a nomination, with a packet as a
nomination's. The manager (or HR) accepts it, which nominates the member through the nomination
service with the request's packet as version 1, or declines it with a reason the member reads.
The member never creates a promotion: only managers and HR nominate."""
