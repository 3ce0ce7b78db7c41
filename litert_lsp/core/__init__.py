"""Framework-free foundations: findings, codes, settings, text positions, file discovery."""
