"""Plain Python shared by every app (no Django app, no models): each app may import it, and it
imports none of them."""
