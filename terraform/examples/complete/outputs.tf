output "tidegate" {
  description = "Everything the module reports: functions, alarms, schedules, budgets, topics."
  value       = module.tidegate
}
