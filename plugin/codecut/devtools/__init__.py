"""Local stand-ins for services Codecut talks to, for the demo and tests; never production."""
