"""The inspector console (/inspector): queues, request pages, visits, outcomes."""
