from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from crm.network.models import (
    Brand,
    BrandModel,
    Dealer,
    DealerAlias,
    Region,
    RoleAssignment,
    StaffProfile,
)

User = get_user_model()


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class BrandModelInline(admin.TabularInline):
    model = BrandModel
    extra = 0
    fields = ("code", "name", "aliases", "position", "is_active")


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_oem_brand")
    search_fields = ("code", "name")
    inlines = [BrandModelInline]


@admin.register(BrandModel)
class BrandModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "brand", "position", "is_active")
    list_filter = ("brand", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("brand",)


class StaffInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "dealer"
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "is_active")


class DealerAliasInline(admin.TabularInline):
    model = DealerAlias
    extra = 0
    fields = ("alias",)


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "city", "time_zone", "is_active")
    list_filter = ("region", "kind", "is_active", "brands")
    search_fields = ("code", "name", "city")
    filter_horizontal = ("brands",)
    list_select_related = ("region",)
    inlines = [DealerAliasInline, StaffInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "dealer", "region", "is_active", "created_at")
    list_filter = ("role", "is_active", "region")
    search_fields = ("user__username", "user__first_name", "user__last_name", "dealer__code", "dealer__name")
    autocomplete_fields = ("user", "dealer")
    list_select_related = ("user", "dealer", "region")


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("dealer",)


class ProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [ProfileInline, RoleInline]
