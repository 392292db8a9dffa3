"""The sandbox's one error the command line must know on every start, in a module of its
own: catching it should not import the store and its pydantic models (2 ms, 0.1 MiB) on a
start that never touches the sandbox."""


class StateFileError(ValueError):
    """A --sandbox-state path the sandbox cannot use; the message is one sentence naming the
    path and what to do, shown as is on stderr."""
