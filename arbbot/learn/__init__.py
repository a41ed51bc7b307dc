"""Learning the builder payment from the searcher's own history: the dataset read from the bundles table
(`dataset`), a calibrated landing-probability model saved and loaded safely (`model`), the bribe policy that bids
with it (`policy`), and its offline evaluation (`evaluate`, `report`).

scikit-learn and skops are imported only where a model is fitted or loaded, so that the searcher imports
`arbbot.learn.policy` without them when it bids with another policy.
"""
