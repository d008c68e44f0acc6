"""Platform adapters. Only modules in this package may import platform libraries."""
