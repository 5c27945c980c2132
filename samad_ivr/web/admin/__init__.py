"""The admin console (/admin): roster, agencies, officials, holidays, SMS templates, visits."""
