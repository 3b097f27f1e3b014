"""The fault drills (drills/): the production settings, except that webhook receivers may be
on loopback, where the drills run theirs. Never for a deployment: the production settings
refuse PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS, and this module exists so that the drills can
test the production stack without that door."""

from config.settings.production import *  # noqa: F403

PARLEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
