/** The autoscaler service: launch templates and auto scaling groups (see README). */
export const autoscalerServiceName = 'autoscaler';
