"""Setting up the programme: stores, campaigns, influencers, and issuing their codes.

Every function takes an open session, validates everything before it writes, and raises a
:class:`~codecut.errors.CodecutError` naming the problem; the caller's transaction then rolls back,
so bad input writes nothing.
"""
