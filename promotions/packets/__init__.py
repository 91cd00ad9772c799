"""Packets: the versioned case for a promotion (justification, evidence per criterion, the
ratings the committee gives per criterion)."""
