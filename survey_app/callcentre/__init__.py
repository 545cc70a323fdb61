"""Call-centre interviewing: vendors and agents, the system-served case queue, the script console,
AAPOR call outcomes, paradata and the vendor manager's supervisor view."""
