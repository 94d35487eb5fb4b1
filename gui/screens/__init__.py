"""The app's screens. Each takes the shared Context; none touches the store directly."""
