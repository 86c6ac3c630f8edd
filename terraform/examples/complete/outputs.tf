output "tidegate" {
  description = "Everything the module reports: functions, alarms, the spot event rule, schedules, budgets, topics."
  value       = module.tidegate
}
