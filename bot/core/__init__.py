"""Platform-neutral core: events in, content out, the adapter protocol, action ids."""
